// The part of WebCrypto the scripts use, which k6 (1.x) and Node both offer as the global
// `crypto`; @types/k6 does not declare it, and the DOM library would bring a browser's globals.
declare global {
  interface CryptoKey {
    readonly type: string;
  }
  var crypto: {
    getRandomValues<T extends Uint8Array>(array: T): T;
    subtle: {
      importKey(
        format: 'jwk',
        keyData: Record<string, unknown>,
        algorithm: { name: string; namedCurve: string },
        extractable: boolean,
        usages: string[],
      ): Promise<CryptoKey>;
      sign(
        algorithm: { name: string; hash: string },
        key: CryptoKey,
        data: Uint8Array,
      ): Promise<ArrayBuffer>;
      digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
    };
  };
}

export {};
