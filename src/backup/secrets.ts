// Secrets encryption with age (the age-encryption package, FiloSottile's TypeScript age).
//
// Each archive gets its own X25519 identity, the archive key. Every Secret entry is an age file
// encrypted to the archive key's recipient (fast: no scrypt per Secret); the archive key itself is
// stored as upkeep/secrets-key.age, encrypted to the user's recipients (age public keys) or to a
// passphrase. So `age -d -i KEY upkeep/secrets-key.age > archive.key; age -d -i archive.key ENTRY`
// opens one Secret with the stock age tool, and upkeep needs the user's key only once per archive.
// Nothing here logs: keys, passphrases and plaintexts never reach a message.
import { promises as fs } from 'node:fs';
import { BackupOptionError, BadArchiveError, errorMessage } from './errors.js';
import { errnoCode } from '../util/errors.js';

type Age = typeof import('age-encryption');
let ageModule: Promise<Age> | undefined;
const age = (): Promise<Age> => (ageModule ??= import('age-encryption'));

export interface SecretKeyOptions {
  /** age public keys (age1...). */
  recipients?: string[];
  /** age identities (AGE-SECRET-KEY-1...), from --key-file. */
  identities?: string[];
  passphrase?: string;
  /** Asked when neither recipients, identities nor a passphrase are given (a prompt on a terminal). */
  askPassphrase?: () => Promise<string>;
}

/** Read --key-file: age identities, and recipients (age1...), comments and blank lines skipped. */
export async function readKeyFile(file: string): Promise<{ identities: string[]; recipients: string[] }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new BackupOptionError(`cannot read key file ${file}: ${errnoCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
  }
  const identities: string[] = [];
  const recipients: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('AGE-SECRET-KEY-')) identities.push(line);
    else if (line.startsWith('age1')) recipients.push(line);
    else throw new BackupOptionError(`key file ${file} holds a line that is neither an age identity (AGE-SECRET-KEY-1...) nor a recipient (age1...)`);
  }
  if (!identities.length && !recipients.length) throw new BackupOptionError(`key file ${file} holds no age key`);
  return { identities, recipients };
}

/** --passphrase-file: its first line (a trailing newline is not part of the passphrase). */
export async function readPassphraseFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new BackupOptionError(`cannot read passphrase file ${file}: ${errnoCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
  }
  const passphrase = text.split(/\r?\n/)[0];
  if (!passphrase) throw new BackupOptionError(`passphrase file ${file} is empty`);
  return passphrase;
}

/** Encrypts Secret entries of one archive. */
export class SecretSealer {
  private constructor(
    private readonly encrypter: InstanceType<Age['Encrypter']>,
    /** The archive key, encrypted to the user's recipients or passphrase. */
    readonly keyEntry: Buffer,
    readonly recipients: string[],
    readonly passphrase: boolean,
  ) {}

  static async create(options: SecretKeyOptions): Promise<SecretSealer> {
    const lib = await age();
    const recipients = [...(options.recipients ?? [])];
    for (const id of options.identities ?? []) recipients.push(await lib.identityToRecipient(id));
    if (!recipients.length && !options.passphrase && options.askPassphrase) options = { ...options, passphrase: await options.askPassphrase() };
    if (!recipients.length && !options.passphrase) throw new BackupOptionError('--encrypt-secrets needs --recipient, --key-file or --passphrase-file');
    if (recipients.length && options.passphrase) throw new BackupOptionError('use either age recipients (--recipient, --key-file) or a passphrase (--passphrase-file), not both');
    for (const r of recipients) {
      if (!/^age1[0-9a-z]+$/.test(r)) throw new BackupOptionError(`"${r.slice(0, 12)}..." is not an age recipient (age1...)`);
    }
    const archiveIdentity = await lib.generateX25519Identity();
    const wrap = new lib.Encrypter();
    try {
      if (options.passphrase) wrap.setPassphrase(options.passphrase);
      for (const r of recipients) wrap.addRecipient(r);
    } catch (e) {
      throw new BackupOptionError(`invalid age recipient: ${errorMessage(e)}`);
    }
    const keyEntry = Buffer.from(await wrap.encrypt(archiveIdentity + '\n'));
    const encrypter = new lib.Encrypter();
    encrypter.addRecipient(await lib.identityToRecipient(archiveIdentity));
    return new SecretSealer(encrypter, keyEntry, recipients, !!options.passphrase);
  }

  async seal(plaintext: Buffer): Promise<Buffer> {
    return Buffer.from(await this.encrypter.encrypt(plaintext));
  }
}

/** Decrypts Secret entries of one archive, once its key entry was opened with the user's key. */
export class SecretOpener {
  private constructor(private readonly decrypter: InstanceType<Age['Decrypter']>) {}

  static async open(keyEntry: Buffer, options: SecretKeyOptions): Promise<SecretOpener> {
    const lib = await age();
    // Ask only for an archive key that a passphrase opens (its age header has an scrypt stanza).
    const byPassphrase = keyEntry.includes(Buffer.from('\n-> scrypt '));
    if (!options.identities?.length && !options.passphrase && options.askPassphrase && byPassphrase) options = { ...options, passphrase: await options.askPassphrase() };
    if (!options.identities?.length && !options.passphrase) {
      throw new BadArchiveError("the archive's Secrets are encrypted: give the key with --key-file (age identity) or --passphrase-file");
    }
    const unwrap = new lib.Decrypter();
    for (const id of options.identities ?? []) {
      try {
        unwrap.addIdentity(id);
      } catch {
        throw new BackupOptionError('the key file holds an invalid age identity');
      }
    }
    if (options.passphrase) unwrap.addPassphrase(options.passphrase);
    let archiveIdentity: string;
    try {
      archiveIdentity = (await unwrap.decrypt(keyEntry, 'text')).trim();
    } catch {
      throw new BadArchiveError(
        `the key given does not open this archive's Secrets (${options.passphrase ? 'wrong passphrase' : 'no identity in the key file matches its recipients'}): use the key the backup was encrypted to`,
        'upkeep/secrets-key.age',
      );
    }
    const decrypter = new lib.Decrypter();
    decrypter.addIdentity(archiveIdentity);
    return new SecretOpener(decrypter);
  }

  /** Decrypt one entry; a failure names the entry (never its content). */
  async open(ciphertext: Buffer, entry: string): Promise<Buffer> {
    try {
      return Buffer.from(await this.decrypter.decrypt(ciphertext));
    } catch {
      throw new BadArchiveError(`entry ${entry} cannot be decrypted with the archive's key: the entry was altered or is not part of this archive`, entry);
    }
  }
}

/** age files start with this line; an encrypted entry is recognised by it. */
export const AGE_HEADER = Buffer.from('age-encryption.org/v1\n');

export function isAgeFile(data: Buffer): boolean {
  return data.subarray(0, AGE_HEADER.length).equals(AGE_HEADER);
}
