/**
 * The pages' two languages. Every text a page shows is a key here, so a missing translation
 * is a type error rather than a blank on the screen. Amounts are integers in minor units
 * (fen) and are formatted only here, by Intl, for the page's locale.
 */

export type Locale = 'zh' | 'en';
export const locales: readonly Locale[] = ['zh', 'en'];
const bcp47: Record<Locale, string> = { zh: 'zh-CN', en: 'en-GB' };
export const allianceTimeZone = 'Asia/Shanghai';

const en = {
  'app.name': 'Alliance hub',
  'app.tagline': 'One membership, every brand of the alliance.',
  'lang.switch': '中文',
  'nav.main': 'Main',
  'nav.home': 'Home',
  'nav.pay': 'Pay code',
  'nav.membership': 'Paid membership',
  'nav.signOut': 'Sign out',
  'nav.periods': 'Periods',
  'nav.partners': 'Partners',
  'nav.tiers': 'Tiers and plans',
  'nav.segments': 'Segments',
  'nav.audit': 'Audit log',
  'nav.statements': 'Statements',
  'nav.keys': 'Keys',
  'nav.benefits': 'Benefits',
  'landing.members': 'Members',
  'landing.membersText':
    'Your points, tier, benefits at every brand, and the pay code for the till.',
  'landing.finance': 'Finance',
  'landing.financeText': 'Settlement periods, who owes whom, statements down to ledger entries.',
  'landing.operators': 'Operators',
  'landing.operatorsText': 'Partners, stores, keys, earn and burn rules, tiers, segments, audit.',
  'landing.partners': 'Partners',
  'landing.partnersText': 'Your statements, reconciliation, keys and benefits.',
  'landing.signIn': 'Sign in',
  'landing.api': 'API reference',
  'signIn.title': 'Sign in',
  'signIn.phone': 'Mobile number',
  'signIn.sendCode': 'Send me a code',
  'signIn.code': 'Six-digit code',
  'signIn.codeSent': 'We sent a code to {to}. It is good for five minutes.',
  'signIn.demoCode': 'Demo mode: the code is {code}.',
  'signIn.submit': 'Sign in',
  'staffSignIn.title': 'Staff sign-in',
  'staffSignIn.token': 'Staff token',
  'staffSignIn.help': 'The token from npm run staff (hst_…).',
  'partnerSignIn.title': 'Partner portal sign-in',
  'partnerSignIn.username': 'User name',
  'partnerSignIn.password': 'Password',
  'error.title': 'Something is not right',
  'error.back': 'Back',
  'error.forbidden': 'This page is not for this account.',
  'error.csrf': 'This form has expired. Go back, reload the page and try again.',
  'me.hello': 'Hello, {name}',
  'me.points': 'Points',
  'me.available': 'available',
  'me.held': 'held at a counter',
  'me.expiring': 'expire by {date}',
  'me.tier': 'Tier',
  'me.tierTop': 'You are at the top tier.',
  'me.tierNext': 'Spend {amount} more for {tier}',
  'me.tierSpend': 'Qualifying spend in the last {months} months: {amount}',
  'me.benefits': 'Benefits',
  'me.benefitsNone': 'No benefits right now.',
  'me.usesLeft': '{n} left',
  'me.unlimited': 'No limit',
  'me.renews': 'renews {date}',
  'me.hubBenefits': 'Alliance',
  'me.activity': 'Activity',
  'me.activityNone': 'Nothing yet.',
  'me.paid': 'Paid membership',
  'me.paidActive': '{plan}, paid through {date}',
  'me.paidNone': 'Not a paid member',
  'pay.title': 'Pay code',
  'pay.help': 'Show this at the till. It works once and changes every minute.',
  'pay.expiresIn': 'Changes in {s} s',
  'pay.balance': 'Available points',
  'pay.used': 'Code used. Your balance is now {points} points.',
  'pay.newCode': 'New code',
  'paid.title': 'Paid membership',
  'paid.status': 'Status',
  'paid.offer': '{plan}: {price} for {months} months',
  'paid.trial': 'Start the free trial',
  'paid.trialUsed': 'You have used your trial.',
  'paid.cancel': 'Cancel renewal',
  'paid.state.none': 'Not a member',
  'paid.state.trial': 'On trial',
  'paid.state.active': 'Active',
  'paid.state.cancelled': 'Cancelled (benefits until the end of the term)',
  'paid.state.expired': 'Expired',
  'paid.through': 'Benefits through {date}',
  'table.date': 'Date',
  'table.brand': 'Brand',
  'table.kind': 'What',
  'table.points': 'Points',
  'table.amount': 'Amount',
  'table.partner': 'Partner',
  'table.status': 'Status',
  'table.actions': 'Actions',
  'finance.periods': 'Settlement periods',
  'finance.period': 'Period {date}',
  'finance.positions': 'Net positions',
  'finance.chartHelp': 'Bars right of the line receive; bars left of it pay.',
  'finance.matrix': 'Who owes whom (gross, before netting)',
  'finance.payer': 'Payer',
  'finance.payee': 'Receiver',
  'finance.statements': 'Statements',
  'finance.net': 'Net',
  'finance.fees': 'Fees',
  'finance.owedToOthers': 'Owes others',
  'finance.owedByOthers': 'Owed by others',
  'finance.lines': 'Lines',
  'finance.approve': 'Approve this period',
  'finance.markPaid': 'Mark paid',
  'finance.reference': 'Payment reference for {partner}',
  'finance.approvedBy': 'Approved by {who} at {at}',
  'finance.paidBy': 'Paid by {who} at {at}',
  'finance.csv': 'Download CSV',
  'finance.statement': 'Statement of {partner}, {date}',
  'finance.entry': 'Ledger entry',
  'finance.postings': 'Postings',
  'finance.account': 'Account',
  'finance.hubFees': 'Hub fees',
  'finance.reconcile': 'Reconcile a partner file',
  'admin.partners': 'Partners',
  'admin.stores': 'Stores',
  'admin.keys': 'Signing keys',
  'admin.earnRule': 'Earn rule',
  'admin.burnRule': 'Burn rule',
  'admin.pointsPerMinor': 'Points per fen',
  'admin.capPerTransaction': 'Cap per purchase (points, empty: none)',
  'admin.paidMemberMultiplier': 'Paid member multiplier',
  'admin.maxShare': 'Largest share of an order points may pay',
  'admin.save': 'Save',
  'admin.preview': 'Preview: what a purchase earns',
  'admin.previewAmount': 'Purchase amount (CNY)',
  'admin.previewTier': 'Tier',
  'admin.previewPaid': 'Paid member',
  'admin.previewEarns': 'earns {points} points',
  'admin.tiers': 'Tier ladder',
  'admin.threshold': 'Qualifying spend',
  'admin.discount': 'Price paid',
  'admin.multiplier': 'Earn multiplier',
  'admin.plans': 'Paid plans',
  'admin.segments': 'Member segments',
  'admin.segmentsNone': 'Segments have not been computed yet.',
  'admin.audit': 'Audit log',
  'admin.auditNone': 'Nothing recorded yet.',
  'admin.who': 'Who',
  'admin.action': 'Action',
  'admin.subject': 'Subject',
  'admin.saved': 'Saved.',
  'portal.statements': 'Statements',
  'portal.download': 'Download statement (CSV)',
  'portal.keys': 'Signing keys',
  'portal.benefits': 'Our benefits',
  'portal.reconcile': 'Reconcile our file for a period',
  'portal.reconcileFile': 'CSV file (order_id,kind,points,amount_minor)',
  'portal.upload': 'Upload and compare',
  'portal.matched': 'Matched {n} lines; {m} differ.',
} as const;

export type TextKey = keyof typeof en;

const zh: Record<TextKey, string> = {
  'app.name': '联盟会员中心',
  'app.tagline': '一张会员，通行联盟所有品牌。',
  'lang.switch': 'English',
  'nav.main': '主导航',
  'nav.home': '首页',
  'nav.pay': '付款码',
  'nav.membership': '付费会员',
  'nav.signOut': '退出',
  'nav.periods': '结算周期',
  'nav.partners': '合作伙伴',
  'nav.tiers': '等级与套餐',
  'nav.segments': '会员分群',
  'nav.audit': '审计日志',
  'nav.statements': '对账单',
  'nav.keys': '密钥',
  'nav.benefits': '权益',
  'landing.members': '会员',
  'landing.membersText': '积分、等级、各品牌权益，以及收银台使用的付款码。',
  'landing.finance': '财务',
  'landing.financeText': '结算周期、应收应付、对账单直达账本分录。',
  'landing.operators': '运营',
  'landing.operatorsText': '合作伙伴、门店、密钥、积分规则、等级、分群与审计。',
  'landing.partners': '合作伙伴',
  'landing.partnersText': '贵方的对账单、对账、密钥与权益。',
  'landing.signIn': '登录',
  'landing.api': 'API 文档',
  'signIn.title': '登录',
  'signIn.phone': '手机号码',
  'signIn.sendCode': '获取验证码',
  'signIn.code': '六位验证码',
  'signIn.codeSent': '验证码已发送至 {to}，五分钟内有效。',
  'signIn.demoCode': '演示模式：验证码为 {code}。',
  'signIn.submit': '登录',
  'staffSignIn.title': '员工登录',
  'staffSignIn.token': '员工令牌',
  'staffSignIn.help': 'npm run staff 生成的令牌（hst_…）。',
  'partnerSignIn.title': '合作伙伴门户登录',
  'partnerSignIn.username': '用户名',
  'partnerSignIn.password': '密码',
  'error.title': '出了点问题',
  'error.back': '返回',
  'error.forbidden': '此账户无权访问该页面。',
  'error.csrf': '表单已过期，请返回并刷新页面后重试。',
  'me.hello': '您好，{name}',
  'me.points': '积分',
  'me.available': '可用',
  'me.held': '收银台冻结中',
  'me.expiring': '将于 {date} 前过期',
  'me.tier': '等级',
  'me.tierTop': '您已是最高等级。',
  'me.tierNext': '再消费 {amount} 即可升级为 {tier}',
  'me.tierSpend': '近 {months} 个月有效消费：{amount}',
  'me.benefits': '权益',
  'me.benefitsNone': '暂无可用权益。',
  'me.usesLeft': '剩余 {n} 次',
  'me.unlimited': '不限次数',
  'me.renews': '{date} 重置',
  'me.hubBenefits': '联盟',
  'me.activity': '积分明细',
  'me.activityNone': '暂无记录。',
  'me.paid': '付费会员',
  'me.paidActive': '{plan}，有效期至 {date}',
  'me.paidNone': '尚未开通付费会员',
  'pay.title': '付款码',
  'pay.help': '请在收银台出示。一次有效，每分钟更新。',
  'pay.expiresIn': '{s} 秒后更新',
  'pay.balance': '可用积分',
  'pay.used': '付款码已使用，当前积分余额 {points}。',
  'pay.newCode': '刷新付款码',
  'paid.title': '付费会员',
  'paid.status': '状态',
  'paid.offer': '{plan}：{price} / {months} 个月',
  'paid.trial': '开始免费试用',
  'paid.trialUsed': '您已使用过试用。',
  'paid.cancel': '取消自动续费',
  'paid.state.none': '未开通',
  'paid.state.trial': '试用中',
  'paid.state.active': '有效',
  'paid.state.cancelled': '已取消（权益保留至本期结束）',
  'paid.state.expired': '已过期',
  'paid.through': '权益有效期至 {date}',
  'table.date': '日期',
  'table.brand': '品牌',
  'table.kind': '类型',
  'table.points': '积分',
  'table.amount': '金额',
  'table.partner': '合作伙伴',
  'table.status': '状态',
  'table.actions': '操作',
  'finance.periods': '结算周期',
  'finance.period': '{date} 结算周期',
  'finance.positions': '净头寸',
  'finance.chartHelp': '中线右侧为应收，左侧为应付。',
  'finance.matrix': '应收应付矩阵（轧差前）',
  'finance.payer': '付款方',
  'finance.payee': '收款方',
  'finance.statements': '对账单',
  'finance.net': '净额',
  'finance.fees': '手续费',
  'finance.owedToOthers': '应付他方',
  'finance.owedByOthers': '他方应付',
  'finance.lines': '明细行',
  'finance.approve': '批准本周期',
  'finance.markPaid': '标记为已付款',
  'finance.reference': '{partner} 的付款流水号',
  'finance.approvedBy': '{who} 于 {at} 批准',
  'finance.paidBy': '{who} 于 {at} 标记付款',
  'finance.csv': '下载 CSV',
  'finance.statement': '{partner} 的对账单，{date}',
  'finance.entry': '账本分录',
  'finance.postings': '过账',
  'finance.account': '账户',
  'finance.hubFees': '平台手续费',
  'finance.reconcile': '核对合作伙伴文件',
  'admin.partners': '合作伙伴',
  'admin.stores': '门店',
  'admin.keys': '签名密钥',
  'admin.earnRule': '积分获取规则',
  'admin.burnRule': '积分使用规则',
  'admin.pointsPerMinor': '每分（fen）积分',
  'admin.capPerTransaction': '单笔上限（积分，留空为不限）',
  'admin.paidMemberMultiplier': '付费会员倍数',
  'admin.maxShare': '积分可抵扣订单的最大比例',
  'admin.save': '保存',
  'admin.preview': '预览：一笔消费可得积分',
  'admin.previewAmount': '消费金额（元）',
  'admin.previewTier': '等级',
  'admin.previewPaid': '付费会员',
  'admin.previewEarns': '可得 {points} 积分',
  'admin.tiers': '等级阶梯',
  'admin.threshold': '有效消费门槛',
  'admin.discount': '实付比例',
  'admin.multiplier': '积分倍数',
  'admin.plans': '付费套餐',
  'admin.segments': '会员分群',
  'admin.segmentsNone': '尚未计算分群。',
  'admin.audit': '审计日志',
  'admin.auditNone': '暂无记录。',
  'admin.who': '操作人',
  'admin.action': '操作',
  'admin.subject': '对象',
  'admin.saved': '已保存。',
  'portal.statements': '对账单',
  'portal.download': '下载对账单（CSV）',
  'portal.keys': '签名密钥',
  'portal.benefits': '我方权益',
  'portal.reconcile': '按周期核对我方文件',
  'portal.reconcileFile': 'CSV 文件（order_id,kind,points,amount_minor）',
  'portal.upload': '上传并核对',
  'portal.matched': '匹配 {n} 行；{m} 行不一致。',
};

const texts: Record<Locale, Record<TextKey, string>> = { en, zh };

/** What a page needs to speak the reader's language. */
export type Speaker = {
  locale: Locale;
  /** The text for a key, with {name} placeholders filled in. */
  t(key: TextKey, values?: Record<string, string | number>): string;
  /** An amount in fen as yuan, e.g. ¥1,234.50 or CN¥1,234.50 by locale. */
  cny(amountMinor: number): string;
  /** A whole number (points) with the locale's grouping. */
  num(value: number): string;
  /** A date in the alliance's time zone. */
  date(at: Date | string): string;
  dateTime(at: Date | string): string;
};

export function speaker(locale: Locale): Speaker {
  const tag = bcp47[locale];
  const money = new Intl.NumberFormat(tag, { style: 'currency', currency: 'CNY' });
  const whole = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
  const day = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: allianceTimeZone });
  const moment = new Intl.DateTimeFormat(tag, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: allianceTimeZone,
  });
  return {
    locale,
    t: (key, values = {}) =>
      texts[locale][key].replace(/\{(\w+)\}/g, (hole, name: string) =>
        String(values[name] ?? hole),
      ),
    // Integer fen to yuan in exact decimal text, so no float ever rounds an amount: Intl
    // formats the decimal string as it is.
    cny: (amountMinor) => money.format(fenToYuanText(amountMinor)),
    num: (value) => whole.format(value),
    date: (at) => day.format(new Date(at)),
    dateTime: (at) => moment.format(new Date(at)),
  };
}

/** "-1234" fen as "-12.34": exact, from the integer's digits. */
export function fenToYuanText(amountMinor: number): Intl.StringNumericLiteral {
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor)).padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}` as Intl.StringNumericLiteral;
}

/**
 * The reader's language: a `lang` cookie they chose, else the best of Accept-Language, else
 * Chinese (the alliance's home).
 */
export function pickLocale(chosen: string | undefined, acceptLanguage: string | undefined): Locale {
  if (chosen === 'zh' || chosen === 'en') return chosen;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh';
}
