import pkg from '../package.json' with { type: 'json' };

/** Hookyard's version, as sent in `user-agent: Hookyard/<version>`. */
export const VERSION: string = pkg.version;
