using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Tests.Gate;

/// <summary>The gate through the real CLI: synthetic runs with known truth, exit codes and the report files.</summary>
[Collection(ProcessTests.Name)]
public sealed class GateCliTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    // Baseline: 70% right on both tasks (items i % 10 < 7).
    private static bool Baseline(string task, int i) => i % 10 < 7;

    [Fact]
    public async Task Synthetic_runs_identical_pass_ten_points_worse_fail_naming_the_task_half_a_point_worse_pass()
    {
        var datasets = SyntheticRuns.WriteSuite();
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var baseline = await SyntheticRuns.StoreRunAsync(database.ConnectionString, datasets, "base", Baseline);
        var same = await SyntheticRuns.StoreRunAsync(database.ConnectionString, datasets, "same", Baseline);
        // synth/big: 60 of its 350 right items lost and 10 of its wrong ones gained: net −50 of 500 = −10 points.
        var worseBig = Shift(500, lost: 60, gained: 10);
        var worse = await SyntheticRuns.StoreRunAsync(database.ConnectionString, datasets, "worse", (task, i) => task == "synth/big" ? worseBig[i] : Baseline(task, i));
        // synth/big: 4 lost and 1 gained: net −3 of 500 = −0.6 points.
        var noiseBig = Shift(500, lost: 4, gained: 1);
        var noise = await SyntheticRuns.StoreRunAsync(database.ConnectionString, datasets, "noise", (task, i) => task == "synth/big" ? noiseBig[i] : Baseline(task, i));

        var output = Directory.CreateTempSubdirectory().FullName;
        string F(string name) => Path.Combine(output, name);

        var identical = await Gate(env, same, baseline, "--junit", F("same.xml"));
        Assert.True(identical.ExitCode == 0, identical.ToString());
        Assert.Contains("gate: PASS", identical.StdOut);
        ValidateJUnit(F("same.xml"), expectedFailures: 0);

        var regression = await Gate(env, worse, baseline, "--junit", F("worse.xml"), "--markdown", F("worse.md"), "--html", F("worse.html"));
        Assert.True(regression.ExitCode == 1, regression.ToString());
        var failLine = Assert.Single(regression.StdErr.Split('\n'), l => l.StartsWith("gate failed:", StringComparison.Ordinal));
        Assert.Contains("synth/big dropped 10 points", failLine);
        Assert.DoesNotContain("synth/small", failLine);
        var junit = ValidateJUnit(F("worse.xml"), expectedFailures: 2); // synth/big and overall
        var failure = junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == "synth/big").Element("failure")!;
        Assert.Contains("dropped 10 points", (string?)failure.Attribute("message"));
        Assert.Contains("n = 500, baseline 70, candidate 60", failure.Value);
        Assert.Contains("McNemar", failure.Value);
        Assert.Null(junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == "synth/small").Element("failure"));
        var markdown = await File.ReadAllTextAsync(F("worse.md"));
        Assert.StartsWith("### ❌ Evals gate failed: regression in `synth/big`", markdown);
        Assert.Contains("| ❌ | `synth/big` | 500 | 70 | 60 | −10.00 |", markdown);
        var html = await File.ReadAllTextAsync(F("worse.html"));
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);

        var small = await Gate(env, noise, baseline);
        Assert.True(small.ExitCode == 0, small.ToString());
        Assert.Contains("dropped 0.6 points, within the allowed 1", small.StdOut);

        // The same 0.6 points with nothing allowed for synth/big, from a thresholds file: still noise, still a pass.
        await File.WriteAllTextAsync(F("limits.json"), """{ "big": 0, "overall": 0 }""");
        var strict = await Gate(env, noise, baseline, "--thresholds", F("limits.json"));
        Assert.True(strict.ExitCode == 0, strict.ToString());
        Assert.Contains("but within noise", strict.StdOut);

        // Bad usage: exit 2 with one line naming it.
        await File.WriteAllTextAsync(F("bad-limits.json"), """{ "nosuchtask": 1 }""");
        var badLimits = await Gate(env, noise, baseline, "--thresholds", F("bad-limits.json"));
        Assert.True(badLimits.ExitCode == 2, badLimits.ToString());
        Assert.Contains("key 'nosuchtask' is not a task of suite synth", badLimits.StdErr);

        // The suite's files change (one more item): a fresh candidate run would evaluate another version than the baseline run.
        File.AppendAllLines(Path.Combine(datasets, "synth", "small", "test.jsonl"), ["""{"id": "extra", "question": "?", "choices": ["1", "2"], "answer": "A"}"""]);
        var versions = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(2), "gate", "--candidate", "baseline:first", "--baseline", baseline.ToString(), "--suite", "synth");
        Assert.True(versions.ExitCode == 2, versions.ToString());
        Assert.Contains("suites of different versions", versions.StdErr);
        await using var db = Migrator.CreateContext(database.ConnectionString);
        Assert.False(await db.Runs.AnyAsync(r => r.ModelName == "baseline:first"));
    }

    /// <summary>The baseline's outcomes with the first <paramref name="lost"/> right items made wrong and the last <paramref name="gained"/> wrong ones made right.</summary>
    private static bool[] Shift(int n, int lost, int gained)
    {
        var items = Enumerable.Range(0, n).Select(i => Baseline("synth/big", i)).ToArray();
        foreach (var i in Enumerable.Range(0, n).Where(i => items[i]).Take(lost).ToList()) items[i] = false;
        foreach (var i in Enumerable.Range(0, n).Reverse().Where(i => !items[i]).Take(gained).ToList()) items[i] = true;
        return items;
    }

    private static Task<CliResult> Gate(IReadOnlyDictionary<string, string> env, Guid candidate, Guid baseline, params string[] more) =>
        CliProcess.RunAsync(env, TimeSpan.FromMinutes(2), ["gate", "--candidate", candidate.ToString(), "--baseline", baseline.ToString(), "--suite", "synth", "--rounds", "2000", .. more]);

    /// <summary>
    /// The shape CI servers read (the common JUnit XSD as Jenkins, GitLab and the GitHub test-reporter actions use it):
    /// testsuites → testsuite(name, tests, failures, errors) → testcase(name, classname) with an optional
    /// failure(message, type). Written here from that description, then checked with System.Xml.Schema.
    /// </summary>
    private static XDocument ValidateJUnit(string path, int expectedFailures)
    {
        const string xsd = """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
              <xs:complexType name="result" mixed="true">
                <xs:attribute name="message" type="xs:string"/>
                <xs:attribute name="type" type="xs:string"/>
              </xs:complexType>
              <xs:element name="testsuites">
                <xs:complexType>
                  <xs:sequence><xs:element ref="testsuite" maxOccurs="unbounded"/></xs:sequence>
                  <xs:attribute name="name" type="xs:string"/>
                  <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
                  <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
                  <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
                  <xs:attribute name="time" type="xs:decimal"/>
                </xs:complexType>
              </xs:element>
              <xs:element name="testsuite">
                <xs:complexType>
                  <xs:sequence>
                    <xs:element name="properties" minOccurs="0">
                      <xs:complexType><xs:sequence>
                        <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                          <xs:complexType>
                            <xs:attribute name="name" type="xs:string" use="required"/>
                            <xs:attribute name="value" type="xs:string" use="required"/>
                          </xs:complexType>
                        </xs:element>
                      </xs:sequence></xs:complexType>
                    </xs:element>
                    <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
                      <xs:complexType>
                        <xs:sequence>
                          <xs:choice minOccurs="0">
                            <xs:element name="skipped" type="result"/>
                            <xs:element name="error" type="result"/>
                            <xs:element name="failure" type="result"/>
                          </xs:choice>
                          <xs:element name="system-out" type="xs:string" minOccurs="0"/>
                          <xs:element name="system-err" type="xs:string" minOccurs="0"/>
                        </xs:sequence>
                        <xs:attribute name="name" type="xs:string" use="required"/>
                        <xs:attribute name="classname" type="xs:string" use="required"/>
                        <xs:attribute name="time" type="xs:decimal"/>
                      </xs:complexType>
                    </xs:element>
                    <xs:element name="system-out" type="xs:string" minOccurs="0"/>
                    <xs:element name="system-err" type="xs:string" minOccurs="0"/>
                  </xs:sequence>
                  <xs:attribute name="name" type="xs:string" use="required"/>
                  <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
                  <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
                  <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
                  <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
                  <xs:attribute name="time" type="xs:decimal"/>
                  <xs:attribute name="timestamp" type="xs:dateTime"/>
                </xs:complexType>
              </xs:element>
            </xs:schema>
            """;
        var schemas = new XmlSchemaSet();
        schemas.Add(null, XmlReader.Create(new StringReader(xsd)));
        var document = XDocument.Load(path);
        var problems = new List<string>();
        document.Validate(schemas, (_, e) => problems.Add(e.Message));
        Assert.Empty(problems);
        var suite = document.Root!.Element("testsuite")!;
        Assert.Equal(expectedFailures, (int)suite.Attribute("failures")!);
        Assert.Equal(3, (int)suite.Attribute("tests")!); // synth/big, synth/small, overall
        Assert.Equal(expectedFailures, suite.Elements("testcase").Count(t => t.Element("failure") is not null));
        return document;
    }
}
