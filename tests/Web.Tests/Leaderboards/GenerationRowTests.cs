using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// A run scored by other metrics than accuracy — ROUGE-L on a title-generation task, EM (with F1 beside it) on a span
/// task — has its leaderboard row stored by the runner when it succeeds; the row equals, text for text, the one the
/// leaderboard computes again from the items, and the API and the page show the run summary's figures.
/// </summary>
public sealed class GenerationRowTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    internal const string Model = "baseline:say?text=%E5%8C%97%E4%BA%AC%E5%A4%A7%E5%AD%A6"; // says 北京大学 to every item

    [Fact]
    public async Task A_rouge_and_em_runs_stored_row_equals_a_recomputation_and_what_the_api_and_page_show()
    {
        var datasets = DatasetsCopy.Manifests("evals-generation-row-");
        WriteSuite(datasets);
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Evals__SeedSmokeRuns"] = "false",
            ["Runner__Datasets"] = datasets,
        });
        var created = await app.AdminClient.PostAsJsonAsync("api/runs", new { model = Model, suite = "gen" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var run = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetGuid();
        await Poll.UntilAsync(async () => (await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{run}")).GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromSeconds(120), "the run to succeed", () => app.Output);
        // The runner stores the row just after the run succeeds, before any reader asks.
        List<string> stored = [];
        await Poll.UntilAsync(async () => (stored = await StoredAsync(run)).Count == 1, TimeSpan.FromSeconds(30), "the stored row", () => app.Output);

        var board = await app.Client.GetFromJsonAsync<JsonElement>("api/leaderboard?suite=gen");
        var row = Assert.Single(board.GetProperty("rows").EnumerateArray());
        var summary = await app.Client.GetFromJsonAsync<JsonElement>($"api/runs/{run}");
        var html = await app.Client.GetStringAsync("leaderboard?suite=gen");
        foreach (var (task, metric) in new[] { ("gen/titles", "rouge_l"), ("gen/spans", "em") })
        {
            var cell = row.GetProperty("tasks").GetProperty(task);
            var expected = summary.GetProperty("tasks").GetProperty(task);
            Assert.Equal(metric, cell.GetProperty("metric").GetString());
            Assert.Equal(metric, expected.GetProperty("metric").GetString());
            foreach (var field in new[] { "score", "ci_low", "ci_high" })
                Assert.Equal(expected.GetProperty(field).GetDouble(), cell.GetProperty(field).GetDouble());
            Assert.Equal(expected.GetProperty("n").GetInt32(), cell.GetProperty("n").GetInt32());
            Assert.Contains($"{cell.GetProperty("score").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)}<small>[{cell.GetProperty("ci_low").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)}, "
                + $"{cell.GetProperty("ci_high").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)}] n={cell.GetProperty("n").GetInt32()}</small>", html);
        }
        // The figures are not trivial: some titles overlap the answer, one span is exactly it, the others are not.
        Assert.InRange(row.GetProperty("tasks").GetProperty("gen/titles").GetProperty("score").GetDouble(), 1, 99);
        Assert.Equal(25, row.GetProperty("tasks").GetProperty("gen/spans").GetProperty("score").GetDouble());
        Assert.Equal(summary.GetProperty("total_items").GetInt32(), row.GetProperty("items").GetInt32());

        // Dropped, the row is computed again from the items by the leaderboard: the same text.
        await using (var db = Migrator.CreateContext(database.ConnectionString))
            await db.Database.ExecuteSqlAsync($"delete from run_scores where run_id = {run}");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("api/leaderboard?suite=gen")).StatusCode);
        Assert.Equal(stored, await StoredAsync(run));
    }

    /// <summary>Suite <c>gen</c> (or another name): four abstracts to title (ROUGE-L against one reference each) and four span questions (EM).</summary>
    internal static void WriteSuite(string datasets, string suite = "gen")
    {
        var titles = Path.Combine(datasets, suite, "titles");
        var spans = Path.Combine(datasets, suite, "spans");
        Directory.CreateDirectory(titles);
        Directory.CreateDirectory(spans);
        File.WriteAllText(Path.Combine(titles, "task.json"), new JsonObject
        {
            ["name"] = "titles", ["kind"] = "generation", ["files"] = new JsonObject { ["test"] = "test.jsonl" }, ["eval_split"] = "test", ["shots"] = 0,
            ["metric"] = "rouge_l", ["answer_field"] = "title", ["template"] = "摘要：{abstract}\n标题：", ["max_tokens"] = 32,
        }.ToJsonString());
        File.WriteAllLines(Path.Combine(titles, "test.jsonl"),
        [
            """{"id": "t1", "abstract": "介绍北京大学的历史。", "title": "北京大学校史"}""",
            """{"id": "t2", "abstract": "研究上海的气候。", "title": "上海气候研究"}""",
            """{"id": "t3", "abstract": "北京的交通问题。", "title": "北京交通问题分析"}""",
            """{"id": "t4", "abstract": "大学生的学习习惯。", "title": "大学生学习习惯调查"}""",
        ]);
        File.WriteAllText(Path.Combine(spans, "task.json"), new JsonObject
        {
            ["name"] = "spans", ["kind"] = "span_extraction", ["files"] = new JsonObject { ["test"] = "test.jsonl" }, ["eval_split"] = "test", ["shots"] = 0,
            ["metric"] = "em", ["answer_field"] = "answers", ["template"] = "文章：{context}\n问题：{question}\n答案：", ["max_tokens"] = 32,
        }.ToJsonString());
        File.WriteAllLines(Path.Combine(spans, "test.jsonl"),
        [
            """{"id": "s1", "context": "他在北京大学读书。", "question": "他在哪里读书？", "answers": ["北京大学"]}""",
            """{"id": "s2", "context": "她住在上海。", "question": "她住在哪里？", "answers": ["上海"]}""",
            """{"id": "s3", "context": "会议在北京举行。", "question": "会议在哪里举行？", "answers": ["北京"]}""",
            """{"id": "s4", "context": "他毕业于清华大学。", "question": "他毕业于哪所大学？", "answers": ["清华大学"]}""",
        ]);
    }

    private async Task<List<string>> StoredAsync(Guid run)
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return await db.Database.SqlQuery<string>($"select scores::text as \"Value\" from run_scores where run_id = {run}").ToListAsync();
    }
}
