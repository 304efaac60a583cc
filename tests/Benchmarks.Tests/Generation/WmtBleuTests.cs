using Evals.Benchmarks.Metrics.Generation;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests.Generation;

/// <summary>
/// Corpus BLEU of the 13 WMT22 En→Zh systems against reference A and against A+B (../shared/datasets/wmt22_en_zh).
/// No published BLEU table for these files could be found (the dataset's SOURCE.md says the same, and sacreBLEU cannot
/// be installed here), so the figures are pinned to an independent cross-check: a separate Python script (wmt_bleu_crosscheck.py beside this file) that follows
/// sacreBLEU 2.x's code path with Python's own string, regex and split semantics (so its CJK range quirks come for
/// free), run on the same files on 2026-12-02. Agreement to 4 decimals on 26 corpora, 2,037 segments each, checks the
/// tokeniser and the statistics, not just the formula.
/// </summary>
public class WmtBleuTests
{
    private const string Folder = "wmt22_en_zh";

    [SharedDatasetsTheory(Folder)]
    [InlineData("AISP-SJTU", 48.8209, 67.6104)]
    [InlineData("DLUT", 45.1940, 63.8756)]
    [InlineData("GTCOM", 47.7186, 62.4770)]
    [InlineData("HuaweiTSC", 49.7374, 73.3311)]
    [InlineData("JDExploreAcademy", 49.6689, 68.4159)]
    [InlineData("Lan-Bridge", 48.2704, 66.5467)]
    [InlineData("LanguageX", 54.3460, 72.8779)]
    [InlineData("Manifold", 48.7351, 69.4455)]
    [InlineData("Online-A", 46.4375, 68.5538)]
    [InlineData("Online-B", 49.1039, 79.9942)]
    [InlineData("Online-G", 43.8632, 63.2452)]
    [InlineData("Online-W", 44.7992, 61.9643)]
    [InlineData("Online-Y", 46.7848, 68.2766)]
    public void System_bleu_matches_the_cross_check(string system, double bleuA, double bleuAB)
    {
        var (a, b) = (Lines("references/generaltest2022.en-zh.ref.A.zh"), Lines("references/generaltest2022.en-zh.ref.B.zh"));
        var hypotheses = Lines($"system-outputs/generaltest2022.en-zh.hyp.{system}.zh");
        Assert.Equal(2037, hypotheses.Length);
        var singleRef = hypotheses.Select((h, i) => CorpusBleu.Statistics(h, [a[i]])).ToList();
        var twoRefs = hypotheses.Select((h, i) => CorpusBleu.Statistics(h, [a[i], b[i]])).ToList();
        Assert.Equal(bleuA, Math.Round(CorpusBleu.Score(singleRef).Score, 4));
        var both = CorpusBleu.Score(twoRefs, "2");
        Assert.Equal(bleuAB, Math.Round(both.Score, 4));
        Assert.Equal("nrefs:2|case:mixed|eff:no|tok:zh|smooth:exp|version:evals-1", both.Signature);
    }

    [SharedDatasetsFact(Folder)]
    public void LanguageX_statistics_against_reference_A_match_the_cross_check()
    {
        var a = Lines("references/generaltest2022.en-zh.ref.A.zh");
        var hypotheses = Lines("system-outputs/generaltest2022.en-zh.hyp.LanguageX.zh");
        var sums = CorpusBleu.Sum(hypotheses.Select((h, i) => CorpusBleu.Statistics(h, [a[i]])));
        Assert.Equal(new BleuStatistics(57898, 57277, 44098, 33135, 25853, 20818, 57898, 55861, 53824, 51789), sums);
        // Totals fall by one per segment and order: every one of the 2,037 segments has at least 4 tokens.
        Assert.Equal(2037, sums.Total1 - sums.Total2);
    }

    private static string[] Lines(string relative)
    {
        var text = File.ReadAllText(Path.Combine(SharedDatasets.Get(Folder), "txt", relative));
        return text.EndsWith('\n') ? text[..^1].Split('\n') : text.Split('\n');
    }
}
