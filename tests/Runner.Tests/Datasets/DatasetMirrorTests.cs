using Evals.Runner.Datasets;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Datasets;

public sealed class DatasetMirrorTests
{
    private const string Official = "https://huggingface.co/datasets/ceval/ceval-exam/resolve/main/val/accountant_val.csv";

    [Fact]
    public void The_option_wins_over_the_setting_which_wins_over_hf_endpoint_and_only_hugging_face_urls_move()
    {
        Assert.Equal("https://a.example/datasets/ceval/ceval-exam/resolve/main/val/accountant_val.csv",
            DatasetMirror.From("https://a.example/", "https://b.example", "https://c.example").Rewrite(Official).ToString());
        Assert.StartsWith("https://b.example/datasets/", DatasetMirror.From(null, "https://b.example", "https://c.example").Rewrite(Official).ToString());
        Assert.StartsWith("https://c.example/datasets/", DatasetMirror.From(" ", null, "https://c.example").Rewrite(Official).ToString());
        Assert.StartsWith("http://10.0.0.1:8080/hf/datasets/", DatasetMirror.From("http://10.0.0.1:8080/hf", null, null).Rewrite(Official).ToString());
        Assert.Equal(Official, DatasetMirror.From(null, null, null).Rewrite(Official).ToString());
        const string github = "https://raw.githubusercontent.com/XiaoMi/cmath/9fa13ef/datasets/cmath_dev.jsonl";
        Assert.Equal(github, DatasetMirror.From("https://a.example", null, null).Rewrite(github).ToString());
    }

    [Fact]
    public void A_mirror_that_is_not_an_http_base_url_names_where_it_came_from()
    {
        Assert.Contains("HF_ENDPOINT 'hf-mirror.com'", Assert.Throws<BadInputException>(() => DatasetMirror.From(null, null, "hf-mirror.com")).Message);
        Assert.Contains("--mirror 'ftp://x'", Assert.Throws<BadInputException>(() => DatasetMirror.From("ftp://x", null, null)).Message);
    }
}
