using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Evals.Storage.Keys;

/// <summary>Encrypts a data-protection key's secret part with AES-256-GCM under <see cref="KeyRingSecret"/>.</summary>
public sealed class KeyRingEncryptor(KeyRingSecret secret) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(secret.Key, tag.Length))
            aes.Encrypt(nonce, plaintext, ciphertext, tag);
        var element = new XElement("encryptedKey", new XAttribute("version", 1),
            new XElement("nonce", Convert.ToBase64String(nonce)),
            new XElement("tag", Convert.ToBase64String(tag)),
            new XElement("value", Convert.ToBase64String(ciphertext)));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }
}

/// <summary>
/// The inverse of <see cref="KeyRingEncryptor"/>. The data-protection system creates it by the type name stored in the
/// key's XML, with the service provider as its constructor argument.
/// </summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var secret = (KeyRingSecret?)services.GetService(typeof(KeyRingSecret))
            ?? throw new InvalidOperationException("The data-protection key ring is encrypted, but this node has no key-ring secret (set DataProtection__KeySecret as on the other nodes).");
        var nonce = Convert.FromBase64String((string?)encryptedElement.Element("nonce") ?? throw Malformed("nonce"));
        var tag = Convert.FromBase64String((string?)encryptedElement.Element("tag") ?? throw Malformed("tag"));
        var ciphertext = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? throw Malformed("value"));
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(secret.Key, tag.Length);
            aes.Decrypt(nonce, ciphertext, tag, plaintext);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CryptographicException($"A data-protection key in the database cannot be decrypted with this node's key-ring secret ({secret.Source}); every node must be given the same one.", e);
        }
        return XElement.Parse(System.Text.Encoding.UTF8.GetString(plaintext));
    }

    private static FormatException Malformed(string element) => new($"Encrypted data-protection key without its <{element}> element.");
}
