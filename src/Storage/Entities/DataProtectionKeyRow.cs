namespace Evals.Storage.Entities;

/// <summary>
/// One key of ASP.NET Core's data-protection key ring (table <c>data_protection_keys</c>): the key ring that signs admin
/// session cookies and antiforgery tokens, shared by every web node so a session started on one node is honoured on
/// another and survives a restart. <see cref="Xml"/> holds the key with its secret part encrypted
/// (<see cref="Keys.KeyRingEncryptor"/>), never in plain text.
/// </summary>
public class DataProtectionKeyRow
{
    public long Id { get; set; }
    public string? FriendlyName { get; set; }
    public required string Xml { get; set; }
}
