using Evals.Storage;
using Evals.Storage.Entities;

namespace Evals.TestKit;

/// <summary>
/// A judge qualified for single grading without running <c>judge-check --mode single</c> (SingleJudgeCheckCliTests
/// runs the check itself; tests that only need a qualified judge would spend minutes on it): a passed check per
/// prompt version, as the check stores one.
/// </summary>
public static class PassedJudgeChecks
{
    public static async Task AddSingleAsync(string connectionString, string judgeIdentity, string judgeName, params string[] promptVersions)
    {
        await using var db = Migrator.CreateContext(connectionString);
        foreach (var version in promptVersions)
            db.JudgeChecks.Add(new JudgeCheck
            {
                Id = Guid.CreateVersion7(),
                JudgeIdentity = judgeIdentity,
                JudgeName = judgeName,
                PromptVersion = version,
                Mode = JudgeCheck.Modes.Single,
                LabelsFile = "none",
                LabelsSha256 = new string('0', 64),
                Items = 2,
                Spearman = 1,
                KendallTauB = 1,
                Agreement = 100,
                MinKappa = 0.5,
                Passed = true,
                CheckedAt = DateTimeOffset.UnixEpoch,
            });
        await db.SaveChangesAsync();
    }
}
