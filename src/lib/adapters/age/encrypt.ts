/**
 * age encryption (FiloSottile/typage) for the server generator's `Encrypt` port: text in,
 * ASCII-armored age file out, readable by the `age` CLI on the server.
 */
import { Encrypter, Decrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';

export async function ageEncrypt(plaintext: string, recipient: string): Promise<string> {
	const e = new Encrypter();
	e.addRecipient(recipient);
	return armor.encode(await e.encrypt(plaintext));
}

export async function ageDecrypt(armored: string, identity: string): Promise<string> {
	const d = new Decrypter();
	d.addIdentity(identity);
	return new TextDecoder().decode(await d.decrypt(armor.decode(armored)));
}

/** A new server identity: the secret stays in the vault and Ignition; the recipient goes in the config. */
export async function newAgeIdentity(): Promise<{ identity: string; recipient: string }> {
	const identity = await generateX25519Identity();
	return { identity, recipient: await identityToRecipient(identity) };
}
