namespace Evals.Web.Tests.Browser;

/// <summary>One Chromium for all browser tests; they run one at a time so page timings stay predictable.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserTests : ICollectionFixture<Chromium>
{
    public const string Name = "browser";
}
