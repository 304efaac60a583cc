using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Suites;

/// <summary>
/// What a chat model's answer to a choice question picked, and which rule decided it (stored with the result so that a
/// reader can audit every extraction). <see cref="Choice"/> is null when nothing could be extracted (outcome
/// unparseable) or the model declined (<see cref="Refused"/>, outcome refused).
/// </summary>
public sealed record Extraction(int? Choice, string Rule, bool Refused = false);

/// <summary>
/// Answer extraction for generation mode: reads a model's free-text answer as a careful human would. The rules, their
/// order, examples and what is deliberately left unparseable are in docs/answer-extraction.md; the corpus
/// tests/Benchmarks.Tests/Extraction/corpus.jsonl pins how often they agree with a human reader.
/// <para>In short: text after a closed &lt;think&gt; block is the answer (the reasoning counts only when that is empty);
/// a conclusion phrase (答案是B, 选B, 正确的是B, 应该是长江, 第二个选项, The answer is (b), Option C) decides, the last
/// one winning, unless negated (不要选B, 误选B, 答案不是B), retracted (答案是A。不对。) or hedged with another option
/// after it (答案是B，不过A也有可能); several options in one conclusion are unparseable (hedged with 或/还是,
/// <c>multiple</c> otherwise: every task here has one correct answer). Without a conclusion: the whole answer as one
/// option, a refusal, a leading letter, one bracketed letter, elimination, one named option, an ordinal, one standalone
/// letter — after setting aside a restated option list and eliminated options.</para>
/// A wrong guess is never substituted for an unparseable answer: the outcome says what happened.
/// </summary>
public static partial class AnswerExtraction
{
    /// <param name="continuations">What the model may answer: letters A… (multiple choice) or words (labels, options as text).</param>
    /// <param name="optionTexts">For letter answers, the options' texts, so that an answer giving the text without its letter counts.</param>
    public static Extraction Extract(string output, IReadOnlyList<string> continuations, IReadOnlyList<string>? optionTexts = null)
    {
        var text = Normalise(output);
        if (text.Length == 0) return new Extraction(null, "empty");
        var normalised = continuations.Select(Normalise).ToList();
        var letters = normalised.Count is > 0 and <= 26 && normalised.Select((c, i) => c.Length == 1 && c[0] == 'A' + i).All(b => b);
        var reader = letters
            ? new Reader(normalised.Count, optionTexts?.Select(Normalise).ToList() ?? [])
            : new Reader(0, WithAliases(normalised));
        return ReadWithThinking(text, reader);
    }

    /// <summary>
    /// Reasoning models wrap their thoughts in &lt;think&gt;…&lt;/think&gt;: what follows is the answer. Only when that is
    /// empty or names nothing does the reasoning's own conclusion count (rule suffixed <c>_in_think</c>); a think block
    /// that never closes means the answer was never given.
    /// </summary>
    private static Extraction ReadWithThinking(string text, Reader reader)
    {
        var close = text.LastIndexOf("</think>", StringComparison.OrdinalIgnoreCase);
        if (close < 0)
        {
            if (text.StartsWith("<think>", StringComparison.OrdinalIgnoreCase)) return new Extraction(null, "unfinished_think");
            return reader.Read(text);
        }
        var visible = text[(close + "</think>".Length)..].Trim();
        var answer = visible.Length == 0 ? new Extraction(null, "empty") : reader.Read(visible);
        if (answer is not { Choice: null, Refused: false, Rule: "empty" or "no_answer" }) return answer;
        var open = text.IndexOf("<think>", StringComparison.OrdinalIgnoreCase);
        var thought = text[(open >= 0 && open < close ? open + "<think>".Length : 0)..close].Trim();
        var inThink = thought.Length == 0 ? answer : reader.Read(thought);
        return inThink.Choice is not null ? inThink with { Rule = inThink.Rule + "_in_think" } : answer;
    }

    /// <summary>
    /// Other names of the label words our Chinese tasks use (English, and the synonyms models answer with), so that
    /// "Entailment" reads as 蕴含 and 差评 as 负面. A longer alias wins over one inside it (不一样 over 一样).
    /// </summary>
    private static readonly Dictionary<string, string[]> LabelAliases = new()
    {
        ["蕴含"] = ["entailment", "entails"], ["中立"] = ["neutral", "中性"], ["矛盾"] = ["contradiction", "contradicts", "相矛盾"],
        ["正面"] = ["positive", "积极", "好评", "正向", "满意"], ["负面"] = ["negative", "消极", "差评", "负向", "不满", "不满意"],
        ["相同"] = ["same", "一样", "一致", "同义", "相似", "相近"], ["不同"] = ["different", "不一样", "不一致", "不相似", "不相近"],
    };

    private static List<(string Text, int Index)> WithAliases(List<string> words)
    {
        var all = words.Select((w, i) => (w, i)).ToList();
        for (var i = 0; i < words.Count; i++)
            if (LabelAliases.TryGetValue(words[i], out var aliases)) all.AddRange(aliases.Select(a => (a, i)));
        return all;
    }

    /// <summary>One answer token after a conclusion phrase: the options it names, how they were named, and where it ends.</summary>
    private sealed record Token(List<int> Items, string Kind, bool Alternatives, bool Negative, int End, bool Relative = false);

    private sealed record Signal(int At, Token Token, bool Tentative);

    /// <summary>
    /// Reads one text. <c>Letters</c> &gt; 0: multiple choice with that many letters, <c>Texts</c> the options' texts;
    /// 0: label words (<c>Texts</c> are the words and their aliases).
    /// </summary>
    private sealed class Reader(int letters, List<(string Text, int Index)> texts)
    {
        public Reader(int letters, List<string> options) : this(letters, options.Select((o, i) => (o, i)).Where(o => o.o.Length > 0).ToList()) { }

        private bool IsLetters => letters > 0;

        public Extraction Read(string text)
        {
            var trimmed = TrimAnswer(text);
            if (trimmed.Length == 0) return new Extraction(null, "no_answer");

            // 1. The whole answer is one option: B, (b), B选项, 北京, 第二个选项, 相同, B和C (several: unparseable).
            if (trimmed[0] != '选' && TokenAt(trimmed, 0, allowSingleLetterWords: true) is { } whole && IsAllConsumed(trimmed, whole.End))
            {
                if (whole.Items.Count > 1) return new Extraction(null, whole.Alternatives ? "hedged" : "multiple");
                return new Extraction(whole.Items[0], whole.Kind switch
                {
                    "letter" => "letter_only",
                    "ordinal" => "ordinal",
                    _ => IsLetters ? "choice_text_exact" : "exact",
                });
            }

            // 2. Conclusions: the last definitive one wins.
            var eliminated = new HashSet<int>();
            var signals = Conclusions(text, eliminated);
            if (signals.Count > 0) return Conclude(text, signals);

            // 3. Assessments of single options: B项正确 (one option judged right), A错误 / 排除A (eliminated).
            var positive = Assessments(text, eliminated);
            if (positive.Count == 1) return new Extraction(positive[0], "explicit");
            if (positive.Count > 1) return new Extraction(null, "ambiguous");

            if (Refusal().IsMatch(text)) return new Extraction(null, "refusal", Refused: true);

            var rest = IsLetters ? WithoutRestatedOptions(text) : text;
            Eliminations(rest, eliminated);
            var (named, negated) = Mentioned(rest);
            if (IsLetters) eliminated.UnionWith(negated); // 不是上海，不是广州，也不是深圳

            if (IsLetters)
            {
                if (LeadingLetter(rest) is { } lead) return new Extraction(lead, "leading_letter");
                var bracketed = Bracketed().Matches(rest).Select(m => LetterIndex(m.Groups[1].Value[0], lowerToo: true))
                    .OfType<int>().Where(i => !eliminated.Contains(i)).Distinct().ToList();
                if (bracketed.Count == 1) return new Extraction(bracketed[0], "bracketed");
                if (eliminated.Count == letters - 1 && letters > 1)
                    return new Extraction(Enumerable.Range(0, letters).First(i => !eliminated.Contains(i)), "elimination");
            }

            if (IsLetters && LetterAlternatives().IsMatch(rest)) return new Extraction(null, "hedged");
            named.RemoveAll(eliminated.Contains);
            if (named.Count == 1) return new Extraction(named[0], IsLetters ? "choice_text" : "mention");
            if (named.Count > 1 && Copula(rest) is { } copula) return new Extraction(copula, IsLetters ? "choice_text" : "mention");
            // Every label but one negated (不相同 of 相同/不同; 既不是蕴含也不是矛盾): the one left.
            var labels = texts.Select(t => t.Index).Distinct().ToList();
            if (named.Count == 0 && !IsLetters && negated.Count == labels.Count - 1 && labels.Count > 1)
                return new Extraction(labels.First(l => !negated.Contains(l)), "negated_label");

            if (IsLetters)
            {
                var ordinals = Ordinal().Matches(rest)
                    .Where(m => (m.Groups["suffix"].Success || JudgedRight().Match(rest, m.Index + m.Length) is { Success: true } r && r.Index == m.Index + m.Length) && !IsNegated(rest, m.Index))
                    .Select(m => OrdinalIndex(m)).OfType<int>().Distinct().ToList();
                if (ordinals.Count == 1 && named.Count == 0) return new Extraction(ordinals[0], "ordinal");

                var standalone = Standalone().Matches(rest).Where(m => !IsArticle(rest, m.Index) && !IsNegated(rest, m.Index))
                    .Select(m => LetterIndex(m.Value[0], lowerToo: false)).OfType<int>().Where(i => !eliminated.Contains(i)).Distinct().ToList();
                if (named.Count == 0 && standalone.Count == 1) return new Extraction(standalone[0], "single_letter");
                if (standalone.Count > 1) return new Extraction(null, Hedge().IsMatch(text) ? "hedged" : "ambiguous");
            }
            else if (named.Count > 1)
            {
                return Hedge().IsMatch(text) ? new Extraction(null, "hedged") : new Extraction(named[0], "first_mention");
            }
            return new Extraction(null, Hedge().IsMatch(text) ? "hedged" : "no_answer");
        }

        private Extraction Conclude(string text, List<Signal> signals)
        {
            var definitive = signals.Where(s => !s.Tentative).ToList();
            var final = definitive.Count > 0 ? definitive[^1] : signals[^1];
            if (final.Token.Items.Count > 1) return new Extraction(null, final.Token.Alternatives || Hedge().IsMatch(text) ? "hedged" : "multiple");
            var pick = final.Token.Items[0];
            // Only tentative picks of different options: 可能是A，也可能是B.
            if (definitive.Count == 0 && signals.SelectMany(s => s.Token.Items).Distinct().Count() > 1) return new Extraction(null, "hedged");
            // Another option offered as possible after the conclusion: 答案是B，不过A也有可能.
            var after = text[final.Token.End..];
            if (signals.Any(s => s.At > final.At && s.Tentative && s.Token.Items.Any(i => i != pick))) return new Extraction(null, "hedged");
            if (IsLetters && AlsoPossible().Matches(after).Any(m => LetterIndex(m.Groups[1].Value[0], lowerToo: false) is { } other && other != pick))
                return new Extraction(null, "hedged");
            if (Retraction().IsMatch(after)) return new Extraction(null, "retracted");
            var rule = final.Tentative ? "tentative"
                : final.Token.Kind switch { "letter" => "explicit", "ordinal" => "ordinal", _ => IsLetters ? "explicit_text" : "explicit" };
            return new Extraction(pick, rule);
        }

        /// <summary>Conclusion phrases followed by an answer token, in text order; negated ones go to <paramref name="eliminated"/>.</summary>
        private List<Signal> Conclusions(string text, HashSet<int> eliminated)
        {
            var signals = new List<Signal>();
            void Scan(Regex head)
            {
                foreach (Match m in head.Matches(text))
                {
                    if (TokenAt(text, m.Index + m.Length, allowSingleLetterWords: false) is not { } token) continue;
                    if (token.Negative || IsNegated(text, m.Index))
                    {
                        if (token.Kind == "letter" || token.Items.Count == 1) eliminated.UnionWith(token.Items);
                        continue;
                    }
                    if (token.Relative) continue; // 选A的人都错了: a noun phrase, not a pick
                    signals.Add(new Signal(m.Index, token, m.Groups["t"].Success));
                }
            }
            // Keyword pre-checks skip the regex scans for most outputs (perf/ImportScoring scores a million answers).
            if (ConclusionKeywords.Any(k => text.Contains(k, StringComparison.Ordinal))) Scan(Head());
            if (HasLatinWord(text)) Scan(EnglishHead());
            if (!IsLetters && (text.Contains('是') || text.Contains('为') || text.Contains(':'))) Scan(WordHead());
            // 只有C不正确 / C项说法错误，当选: an assessment that singles out the answer, whatever the question asked for.
            if (IsLetters && SinglingOutKeywords.Any(k => text.Contains(k, StringComparison.Ordinal)))
            {
                foreach (var pattern in (Regex[])[OnlyAssessment(), ChosenAssessment(), AllButOne()])
                    foreach (Match m in pattern.Matches(text))
                        if (LetterIndex(m.Groups["l"].Value[0], lowerToo: false) is { } only)
                            signals.Add(new Signal(m.Index, new Token([only], "letter", false, false, m.Index + m.Length), false));
            }
            signals.Sort((a, b) => a.At.CompareTo(b.At));
            // A phrase inside an earlier conclusion's answer ("是" of 蕴含还是中立) is part of that answer, not a new one.
            var kept = new List<Signal>();
            foreach (var signal in signals)
                if (kept.Count == 0 || signal.At >= kept[^1].Token.End) kept.Add(signal);
            return kept;
        }

        private List<int> Assessments(string text, HashSet<int> eliminated)
        {
            if (!IsLetters || !(text.Contains('对') || text.Contains('错') || text.Contains("正确") || text.Contains("有误") || text.Contains("排除") || text.AsSpan().ContainsAny("✓✔√✗✘×")))
                return [];
            var positive = new List<int>();
            // Option-by-option lines: A项：上海是直辖市，错误。 / B. 叶绿体 —— 光合作用 ✓ — the line's last verdict.
            foreach (Match line in LineVerdict().Matches(text))
            {
                if (LetterIndex(line.Groups["l"].Value[0], lowerToo: false) is not { } option) continue;
                if (line.Groups["yes"].Success) positive.Add(option);
                else eliminated.Add(option);
            }
            foreach (Match m in Assessment().Matches(text))
            {
                var picked = LetterRun().Matches(m.Groups["l"].Value).Select(l => LetterIndex(l.Value[0], lowerToo: false)).OfType<int>().ToList();
                var negative = m.Groups["v"].Value is not ("正确" or "对" or "是对") || IsNegated(text, m.Index);
                if (negative) eliminated.UnionWith(picked);
                else positive.AddRange(picked);
            }
            positive.RemoveAll(eliminated.Contains);
            return positive.Distinct().ToList();
        }

        /// <summary>排除A、B、D; 不选A; and sentences ending 都可以排除 / 都不是 / 都不对, whose named options are all eliminated.</summary>
        private void Eliminations(string text, HashSet<int> eliminated)
        {
            if (!(text.Contains("排除") || text.Contains('都') || text.Contains('均') || text.Contains('不'))) return;
            foreach (Match m in EliminatedList().Matches(text))
                if (TokenAt(text, m.Index + m.Length, allowSingleLetterWords: false) is { Kind: not "ordinal" } token) eliminated.UnionWith(token.Items);
            foreach (Match m in AllRuledOut().Matches(text))
            {
                var start = text.LastIndexOfAny(['。', '!', '?', ';', '\n'], Math.Max(0, m.Index - 1)) + 1;
                var sentence = text[start..m.Index];
                if (IsLetters)
                    eliminated.UnionWith(Standalone().Matches(sentence).Select(l => LetterIndex(l.Value[0], lowerToo: false)).OfType<int>());
                eliminated.UnionWith(Mentioned(sentence).Named);
            }
        }

        /// <summary>
        /// The answer token at <paramref name="at"/>: a letter (or a run like BC), an option's text, or an ordinal, then
        /// more joined by 和/、/或/还是/and/or. Skips quotes, brackets and 选项/option before it.
        /// </summary>
        public Token? TokenAt(string text, int at, bool allowSingleLetterWords)
        {
            var items = new List<int>();
            var kind = "";
            var alternatives = false;
            var i = at;
            while (true)
            {
                i = SkipFiller(text, i);
                if (ItemAt(text, i, out var item, out var itemKind, out var end, items.Count > 0 || allowSingleLetterWords) is false) break;
                items.AddRange(item.Where(x => !items.Contains(x)));
                kind = kind.Length == 0 ? itemKind : kind;
                i = end;
                var sep = ListSeparator().Match(text, i);
                if (!sep.Success || sep.Index != i) break;
                var next = SkipFiller(text, i + sep.Length);
                // "答案是B，C项错误是因为…": after a comma only a bare letter continues the list.
                if (sep.Groups["comma"].Success && !(ItemAt(text, next, out _, out var nk, out var ne, true) && nk == "letter" && IsBare(text, ne))) break;
                if (!ItemAt(text, next, out _, out _, out _, true)) break;
                alternatives |= sep.Groups["alt"].Success;
                i = next;
            }
            if (items.Count == 0) return null;
            var closing = i;
            while (closing < text.Length && text[closing] is ')' or ' ') closing++;
            var negative = IsLetters && kind == "letter" && (AfterLetterNegative().Match(text, closing) is { Success: true } neg && neg.Index == closing
                || ThenCalledWrong().Match(text, closing) is { Success: true } wrong && wrong.Index == closing);
            var maybe = AfterPossible().Match(text, closing) is { Success: true } p && p.Index == closing;
            var relative = Relative().Match(text, closing) is { Success: true } rel && rel.Index == closing;
            return new Token(items, kind, alternatives || (items.Count > 1 && maybe), negative, i, relative);
        }

        private bool ItemAt(string text, int i, out List<int> items, out string kind, out int end, bool allowSingleLetterWords)
        {
            items = [];
            kind = "";
            end = i;
            if (i >= text.Length) return false;
            if (IsLetters && Ordinal().Match(text, i) is { Success: true } ord && ord.Index == i && OrdinalIndex(ord) is { } o)
            {
                items.Add(o);
                kind = "ordinal";
                end = i + ord.Length;
                return true;
            }
            if (LongestTextAt(text, i) is { } t)
            {
                items.Add(t.Index);
                kind = "text";
                end = i + t.Length;
                return true;
            }
            if (!IsLetters || !char.IsAsciiLetter(text[i]) || (i > 0 && char.IsAsciiLetter(text[i - 1]))) return false;
            var run = i;
            while (run < text.Length && char.IsAsciiLetter(text[run])) run++;
            if (run - i == 1)
            {
                if (LetterIndex(text[i], lowerToo: true) is not { } single) return false;
                if (IsArticle(text, i) && !(allowSingleLetterWords && run == text.Length)) return false;
                items.Add(single);
            }
            else
            {
                // A run such as BC or ABD names several options; any other word (Beijing, CO2) names none.
                if (run - i > letters || text.AsSpan(i, run - i).ContainsAnyExceptInRange('A', (char)('A' + letters - 1))) return false;
                var distinct = text[i..run].Distinct().Select(c => c - 'A').ToList();
                if (distinct.Count != run - i) return false;
                items.AddRange(distinct);
            }
            kind = "letter";
            end = run;
            return true;
        }

        private (int Index, int Length)? LongestTextAt(string text, int i)
        {
            (int Index, int Length)? best = null;
            foreach (var (option, index) in texts)
            {
                if (option.Length > text.Length - i || (best is { } b && b.Length >= option.Length)) continue;
                if (string.Compare(text, i, option, 0, option.Length, StringComparison.OrdinalIgnoreCase) != 0) continue;
                if (!HasWordBoundaries(text, i, option.Length)) continue;
                best = (index, option.Length);
            }
            return best;
        }

        private static int SkipFiller(string text, int i)
        {
            while (i < text.Length)
            {
                if (text[i] is ' ' or '\t' or '"' or '“' or '”' or '\'' or '‘' or '’' or '(' or ':' or '\u3000') i++;
                else if (string.CompareOrdinal(text, i, "选项", 0, 2) == 0) i += 2;
                else if (string.Compare(text, i, "option ", 0, 7, StringComparison.OrdinalIgnoreCase) == 0) i += 7;
                else if (text[i] == '选' && i + 1 < text.Length && text[i + 1] != '项') i++;
                else break;
            }
            return i;
        }

        private bool IsAllConsumed(string text, int end)
        {
            var rest = text[end..].Trim().TrimEnd('。', '.', '!', ')', ',', '吧', '呢');
            return rest.Length == 0 || rest is "选项" or "项" or "option";
        }

        private static bool IsBare(string text, int end) => end >= text.Length || text[end] is ' ' or '。' or '.' or ',' or '、' or ';' or '!' or '?' or ')' or '\n' or '和' or '或';

        private int? LetterIndex(char c, bool lowerToo)
        {
            if (lowerToo) c = char.ToUpperInvariant(c);
            return c >= 'A' && c < 'A' + letters ? c - 'A' : null;
        }

        private int? OrdinalIndex(Match m)
        {
            if (m.Groups["last"].Success) return letters > 0 ? letters - 1 : null;
            var n = m.Groups["n"].Value.ToLowerInvariant() switch
            {
                "一" or "1" or "first" => 0, "二" or "2" or "second" => 1, "三" or "3" or "third" => 2, "四" or "4" or "fourth" => 3,
                "五" or "5" or "fifth" => 4, "六" or "6" or "sixth" => 5, _ => -1,
            };
            return n >= 0 && n < letters ? n : null;
        }

        /// <summary>B. 北京 / B、因为… / b) … at the start, unless the text is a list of lettered lines (option-by-option analysis).</summary>
        private int? LeadingLetter(string text)
        {
            var m = LeadingLetterPattern().Match(text);
            if (!m.Success || IsArticle(text, m.Groups[1].Index)) return null;
            if (TokenAt(text, 0, allowSingleLetterWords: false) is { Items.Count: > 1 }) return null; // B 和 C 都有道理
            if (LineLetter().Matches(text).Select(l => char.ToUpperInvariant(l.Groups[1].Value[0])).Distinct().Count() > 1) return null;
            return LetterIndex(m.Groups[1].Value[0], lowerToo: true);
        }

        /// <summary>
        /// A restated option list (A. 上海 B. 北京 …, two options or more with their letters) blanked out, so that it does
        /// not read as the answer: the options in it are quoted, not chosen.
        /// </summary>
        private string WithoutRestatedOptions(string text)
        {
            var spans = new List<(int Start, int End, int Option)>();
            foreach (var (option, index) in texts)
            {
                var letter = (char)('A' + index);
                for (var at = text.IndexOf(option, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(option, at + 1, StringComparison.OrdinalIgnoreCase))
                {
                    var j = at - 1;
                    while (j >= 0 && at - j <= 4 && text[j] is ' ' or '.' or '、' or ':' or '(' or ')' or '\t') j--;
                    if (j < 0 || text[j] != letter || (j > 0 && char.IsAsciiLetter(text[j - 1]))) continue;
                    var end = at + option.Length;
                    if (end < text.Length && text[end] == ')') end++;
                    spans.Add((j, end, index));
                }
            }
            if (spans.Select(s => s.Option).Distinct().Count() < 2) return text;
            var chars = text.ToCharArray();
            foreach (var (start, end, _) in spans)
                for (var k = start; k < end; k++) chars[k] = ' ';
            return new string(chars);
        }

        /// <summary>
        /// The options whose text occurs in <paramref name="text"/>, earliest first; an occurrence inside a longer option's
        /// occurrence ("相同" inside "不相同" when both are options) does not count, and a negated one (不是上海) goes
        /// to <c>Negated</c>.
        /// </summary>
        public (List<int> Named, List<int> Negated) Mentioned(string text)
        {
            var hits = new List<(int Option, int At, int Length)>();
            foreach (var (option, index) in texts)
                for (var at = text.IndexOf(option, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(option, at + 1, StringComparison.OrdinalIgnoreCase))
                    if (HasWordBoundaries(text, at, option.Length)) hits.Add((index, at, option.Length));
            var kept = hits.Where(h => !hits.Any(o => o.Length > h.Length && o.At <= h.At && o.At + o.Length >= h.At + h.Length)).OrderBy(h => h.At).ToList();
            var negated = kept.Where(h => IsNegated(text, h.At)).Select(h => h.Option).Distinct().ToList();
            var named = kept.Where(h => !IsNegated(text, h.At)).Select(h => h.Option).Distinct().ToList();
            return (named, negated.Where(n => !named.Contains(n)).ToList());
        }

        /// <summary>Several options named, but exactly one as what something "is": 最长的河流是长江，其次是黄河.</summary>
        private int? Copula(string text)
        {
            var found = new HashSet<int>();
            for (var at = text.IndexOf('是'); at >= 0; at = text.IndexOf('是', at + 1))
            {
                if (IsNegated(text, at) || (at >= 2 && text.AsSpan(at - 2, 2) is "其次" or "然后" or "还有" or "或者")) continue;
                if (LongestTextAt(text, SkipFiller(text, at + 1)) is { } t) found.Add(t.Index);
            }
            return found.Count == 1 ? found.First() : null;
        }

        private static bool HasWordBoundaries(string text, int at, int length)
        {
            static bool Word(char c) => char.IsAsciiLetterOrDigit(c);
            return !(at > 0 && Word(text[at]) && Word(text[at - 1])) && !(at + length < text.Length && Word(text[at + length - 1]) && Word(text[at + length]));
        }
    }

    /// <summary>An English article, not a letter: "A careful look…", "a tricky one".</summary>
    private static bool IsArticle(string text, int at)
    {
        if (text[at] is not ('A' or 'a')) return false;
        var i = at + 1;
        if (i >= text.Length || text[i] != ' ') return false;
        while (i < text.Length && text[i] == ' ') i++;
        var start = i;
        while (i < text.Length && char.IsAsciiLetterLower(text[i])) i++;
        var word = text[start..i];
        return word.Length >= 2 && word is not ("and" or "or" or "is" or "was" or "because" or "since");
    }

    /// <summary>不要选B, 误选A, 答案不是C, 排除D: a negation just before a conclusion or a mention.</summary>
    private static bool IsNegated(string text, int at)
    {
        var start = Math.Max(0, at - 4);
        var before = text.AsSpan(start, at - start).TrimEnd(' ');
        foreach (var n in Negations)
            if (before.EndsWith(n, StringComparison.Ordinal)) return true;
        return false;
    }

    private static readonly string[] Negations =
        ["不", "别", "勿", "误", "错", "没", "未", "非", "并不是", "不是", "而非", "不要", "不能", "不应", "不应该", "不该", "不会", "排除", "除了", "除",
         "如果", "假如", "要是", "not", "Not", "NOT"];

    private static bool HasLatinWord(string text)
    {
        foreach (var c in text)
            if (char.IsAsciiLetterLower(c)) return true;
        return false;
    }

    private static readonly string[] ConclusionKeywords =
        ["答", "选", "正确", "错误", "有误", "对", "是", "为", "即", "故", "所以", "因此", "综上", "剩", "认为", "觉得", "想", "倾向", "猜", "结论", "结果", "对应"];

    // The conclusion phrases (data: add a phrase here, with a corpus case). Each ends just before the answer token;
    // (?<t>…) marks a tentative one (可能是B). Negation before a phrase is checked in code (IsNegated).
    [GeneratedRegex("""
        (?:最终|正确|标准|参考|本题|此题|这道题|该题|我的|最后的?)?的?答案\)?\s*(?:应该|应当|应|(?<t>可能|大概|也许|或许|估计)|就|即|只能|一定|显然|肯定|当然|仍然|仍|还|便)?\s*(?:是|为|选择|选)?\s*:?
        | (?<![回解])答\s*:
        | (?:回答|结论|结果|得数)\s*(?:是|为|:)
        | 我(?:认为|觉得|猜|判断|想|选的|的选择)(?:答案)?\s*(?:应该是|是|为|选)?
        | (?<t>可能|大概|也许|或许|估计)?\s*(?:应该|应当|应|故|所以|因此|我|我会|我就|只能|可以|就|最终|本题|此题|当|还是)?\s*(?:选择|选定|选)(?![项出手修举取中拔购])
        | (?:不正确|正确|错误|有误|说法不?对|不符合题意|符合题意|最合适|最恰当|最佳|最准确)的?(?:选项|一项|答案|项|说法|一个)?\s*(?:应该|应)?\s*(?:是|为|:)
        | 倾向于?\s*(?:选择|选)?
        | (?:应该|应当|应|当|就|只能|肯定|显然|一定|而|即|也就是|便|仍然|仍|才|确定)是
        | (?:应该|应当|应)为
        | (?<=[,。:;!?])\s*(?:那就|就)?是
        | (?<t>可能|大概|也许|或许|估计)(?:是|为)
        | (?:即|故|因此|所以|综上所述|综上|由此可见)\s*,?\s*(?:是|为)?
        | (?:剩下|剩余|只剩下|只剩|仅剩)的?(?:就是|是|只有|为)?
        | 对应(?:的)?(?:选项|答案)?(?:是|为)?
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Head();

    [GeneratedRegex(@"\b(?:(?:the\s+)?(?:correct\s+|right\s+|final\s+|best\s+)?(?:answer|option|choice)(?:\s+(?:is|would\s+be|should\s+be|will\s+be))?\s*:?|(?:choose|pick|select|go\s+with|opt\s+for)|which\s+is)\s*", RegexOptions.IgnoreCase)]
    private static partial Regex EnglishHead();

    // Label words also follow a bare copula or colon: 情感:正面, 关系为中立, 所以是蕴含关系.
    [GeneratedRegex(@"(?:判断为|属于|是|为|:)\s*")]
    private static partial Regex WordHead();

    private static readonly string[] SinglingOutKeywords = ["只有", "当选", "应选", "莫属", "除"];

    // 非B莫属; 除了B，其他选项都不是首都.
    [GeneratedRegex(@"非\s*(?<l>[A-Z])(?![A-Za-z])\s*(?:项|选项)?\s*莫属|除了?\s*(?:选项)?\s*(?<l>[A-Z])(?![A-Za-z])\s*(?:项|选项)?\s*(?:以外|之外)?\s*,?\s*(?:其他|其余|其它|别的)[^。\n]{0,6}?(?:都|均)\s*(?:不|错|有误)")]
    private static partial Regex AllButOne();

    [GeneratedRegex(@"(?<![A-Za-z])(?<l>[A-Z])(?![A-Za-z])[^。\n,]{0,16},\s*(?:当选|应选|为正确答案|符合题意)")]
    private static partial Regex ChosenAssessment();

    [GeneratedRegex(@"只有\s*(?:选项)?\s*(?<l>[A-Z])(?![A-Za-z])\s*\)?\s*(?:项|选项)?\s*(?:的说法|说法)?\s*(?:是)?\s*(?:不正确|正确|错误|不对|对|错|有误)")]
    private static partial Regex OnlyAssessment();

    // B项正确, C选项是正确的, A、B、D的说法都是正确的, C错误, D也不对, B是错的.
    [GeneratedRegex(@"(?<![A-Za-z])(?<l>[A-Z](?:\s*(?:、|,|和|与|及)\s*[A-Z])*)(?![A-Za-z])\s*\)?\s*(?:项|选项)?\s*(?:的说法|说法)?\s*(?:也|都|均)?\s*(?:是|为)?\s*(?<v>不正确|不对|错误|错|有误|可以排除|应排除|正确|对)")]
    private static partial Regex Assessment();

    [GeneratedRegex(@"(?:排除|不选|别选|不要选|不能选|误选|除了)(?:掉)?\s*")]
    private static partial Regex EliminatedList();

    [GeneratedRegex(@"(?:都|均|也都|全都|全部)\s*(?:可以|应该|应|能)?\s*(?:排除|不对|不是|错|错误|不正确|不符合|有误)")]
    private static partial Regex AllRuledOut();

    [GeneratedRegex(@"[A-Z]")]
    private static partial Regex LetterRun();

    [GeneratedRegex(@"(?<![A-Za-z])[A-Z](?![A-Za-z])\s*\)?\s*(?:或者|或是|或|还是)\s*\(?\s*[A-Z](?![A-Za-z])")]
    private static partial Regex LetterAlternatives();

    [GeneratedRegex(@"\s*(?:(?<alt>或者|或是|或|还是|\bor\b)|和|与|以及|及|、|/|&|\band\b|(?<comma>,)|(?<comma>\s))\s*", RegexOptions.IgnoreCase)]
    private static partial Regex ListSeparator();

    [GeneratedRegex(@"(?:项|选项)?\s*(?:的说法|说法)?\s*(?:也|都|均)?\s*(?:是)?\s*(?:错|不正确|不对|有误|不是|可以排除|排除|应排除|被排除|不符合)")]
    private static partial Regex AfterLetterNegative();

    [GeneratedRegex(@"(?m)^[ \t]*\(?(?<l>[A-Z])(?![A-Za-z])[ \t]*(?:项|选项)?[ \t]*[.、:)]?[^\n]*?(?:(?<yes>(?<!不)正确|(?<!不)是对的|✓|✔|√)|错误|不正确|不对|错|✗|✘|×)[ \t]*[。.!]?[ \t]*$")]
    private static partial Regex LineVerdict();

    // 也就是A，但那是错误的: the option just named is then called wrong.
    [GeneratedRegex(@"\s*,\s*(?:但|可|而)?\s*(?:那|这|它)(?:个)?(?:是|就是)?\s*(?:错误|错|不对|不正确)")]
    private static partial Regex ThenCalledWrong();

    // 选A的人, 选A的话: the pick is part of a noun phrase or a condition.
    [GeneratedRegex(@"的(?:人|同学|考生|学生|话|理由|原因)")]
    private static partial Regex Relative();

    [GeneratedRegex(@"\s*(?:都|也)(?:有)?(?:可能|有道理|可以|行)")]
    private static partial Regex AfterPossible();

    // 答案是B，不过A也有可能 / 但也可能是A: another option offered after the conclusion.
    [GeneratedRegex(@"(?:(?<![A-Za-z])([A-Z])(?![A-Za-z])\s*(?:项|选项)?\s*也(?:有可能|可能|说得通|有道理|可以|对|行得通)|(?:也|或许|也许)(?:有)?可能(?:是|选)?\s*([A-Z])(?![A-Za-z]))")]
    private static partial Regex AlsoPossible();

    // 答案是A。不对。/ 答案是B……等等，错了: the conclusion is withdrawn and nothing replaces it.
    [GeneratedRegex(@"^[\s。.,!…\-—]*(?:不对|不不|错了|说错了|等等,?\s*(?:不对|错了))")]
    private static partial Regex Retraction();

    [GeneratedRegex(@"第\s*(?<n>[一二三四五六]|[1-6])\s*(?<suffix>个选项|个答案|选项|项)?(?:个)?|(?<last>最后一(?:个|项))(?<suffix>选项)?|(?:the\s+)?(?<n>first|second|third|fourth|fifth|sixth|last)\s+(?<suffix>option|choice|one)", RegexOptions.IgnoreCase)]
    private static partial Regex Ordinal();

    [GeneratedRegex(@"\s*(?:是|为)?\s*(?:对的|正确|对)")]
    private static partial Regex JudgedRight();

    [GeneratedRegex(@"^\s*\(?\s*([A-Za-z])\s*(?:\)|[.、:,。]|\s+|$)")]
    private static partial Regex LeadingLetterPattern();

    [GeneratedRegex(@"(?m)^\s*\(?([A-Za-z])\s*[.、:)]")]
    private static partial Regex LineLetter();

    [GeneratedRegex(@"\(\s*([A-Za-z])\s*\)")]
    private static partial Regex Bracketed();

    [GeneratedRegex(@"(?<![A-Za-z])[A-Z](?![A-Za-z])")]
    private static partial Regex Standalone();

    [GeneratedRegex(@"可能|也许|或许|或者|不确定|不太确定|无法确定|拿不准|不好说|都有可能|大概|还是")]
    private static partial Regex Hedge();

    [GeneratedRegex(@"(?:抱歉|对不起|很遗憾|不好意思)[^。!?\n]{0,30}(?:无法|不能|不便|不可以)|(?:无法|不能|不便|不宜|不可以|没法|没办法)(?:为你|为您)?(?:回答|作答|提供|回复|协助|讨论|评论|帮助)|拒绝回答|敏感(?:话题|内容|信息|问题)|内容安全|违反(?:相关)?(?:法律|规定|政策|使用)|(?:作为|我是)(?:一个)?(?:AI|人工智能|语言模型)[^。\n]{0,30}(?:无法|不能|不会)|inappropriate content|content (?:filter|policy)|超出(?:了)?(?:我的)?能力范围|I(?:'m| am) sorry|I (?:can't|cannot|won't|will not) (?:help|assist|answer)", RegexOptions.IgnoreCase)]
    private static partial Regex Refusal();
}
