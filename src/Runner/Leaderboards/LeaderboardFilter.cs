using System.Globalization;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// What the leaderboard shows: one suite (null: the suite of the newest succeeded run), optionally one model family and
/// runs finished in [<see cref="From"/>, <see cref="To"/>] (UTC days, both inclusive), sorted by <see cref="Sort"/>:
/// <c>overall</c>, <c>model</c>, <c>date</c>, <c>items</c>, <c>task:&lt;suite/task&gt;</c> or <c>cap:&lt;capability&gt;</c>.
/// </summary>
/// <param name="View"><c>official</c> (default): the suite's own columns where its suite.json declares them (C-Eval's
/// Avg, Hard, STEM …); <c>tasks</c>: one column per task (subject).</param>
/// <param name="Page">1-based page of <see cref="PageSize"/> rows in the sorted order; null: every row (the exports' default).
/// Ranks and the sort are over all rows whatever the page.</param>
public sealed record LeaderboardFilter(string? Suite = null, string? Family = null, DateOnly? From = null, DateOnly? To = null,
    string Sort = "overall", bool Descending = true, bool CurrentVersionOnly = false, string View = LeaderboardFilter.OfficialView,
    int? Page = null, int PageSize = LeaderboardFilter.DefaultPageSize)
{
    public const string OfficialView = "official";
    public const string TasksView = "tasks";
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static readonly LeaderboardFilter Default = new();

    public static readonly DateOnly MinDate = new(2000, 1, 1);
    public static readonly DateOnly MaxDate = new(2999, 12, 31);

    /// <summary>Reads the query-string form (<c>suite, family, from, to, sort, dir, current, view, page, size</c>); each bad value
    /// is an error naming its field.</summary>
    public static (LeaderboardFilter? Filter, Dictionary<string, string[]> Errors) Parse(
        string? suite, string? family, string? from, string? to, string? sort, string? dir, string? current, string? view = null,
        string? page = null, string? size = null)
    {
        var errors = new Dictionary<string, string[]>();
        DateOnly? Date(string field, string? text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                // The query adds a day to 'to'; 9999-12-31 would overflow, and no run is older than 2000.
                if (date >= MinDate && date <= MaxDate) return date;
                errors[field] = [$"'{text}' is outside {MinDate:yyyy-MM-dd} to {MaxDate:yyyy-MM-dd}"];
                return null;
            }
            errors[field] = [$"'{text}' is not a date in the form yyyy-MM-dd"];
            return null;
        }
        var fromDate = Date("from", from);
        var toDate = Date("to", to);
        if (fromDate is { } f && toDate is { } t && f > t) errors["to"] = [$"'{to}' is before from '{from}'"];
        var sortKey = string.IsNullOrWhiteSpace(sort) ? "overall" : sort.Trim();
        if (sortKey is not ("overall" or "model" or "date" or "items")
            && !(sortKey.StartsWith("task:", StringComparison.Ordinal) && sortKey.Length > 5)
            && !(sortKey.StartsWith("cap:", StringComparison.Ordinal) && sortKey.Length > 4)
            && !(sortKey.StartsWith("cat:", StringComparison.Ordinal) && sortKey.Length > 4))
            errors["sort"] = [$"'{sort}' is not one of overall, model, date, items, task:<suite/task>, cap:<capability>, cat:<category>"];
        var viewName = string.IsNullOrWhiteSpace(view) ? OfficialView : view.Trim();
        if (viewName is not (OfficialView or TasksView)) errors["view"] = [$"'{view}' is not {OfficialView} or {TasksView}"];
        var descending = dir?.Trim() switch
        {
            null or "" => sortKey != "model",
            "desc" => true,
            "asc" => false,
            _ => Error("dir", $"'{dir}' is not asc or desc"),
        };
        var currentOnly = current?.Trim() switch
        {
            null or "" or "false" or "0" => false,
            "true" or "1" or "on" => true,
            _ => Error("current", $"'{current}' is not true or false"),
        };
        var pageNumber = Number("page", page, 1, int.MaxValue);
        var pageSize = Number("size", size, 1, MaxPageSize) ?? DefaultPageSize;
        if (errors.Count > 0) return (null, errors);
        return (new LeaderboardFilter(Blank(suite), Blank(family), fromDate, toDate, sortKey, descending, currentOnly, viewName, pageNumber, pageSize), errors);

        int? Number(string field, string? text, int min, int max)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
            errors[field] = [max == int.MaxValue ? $"'{text}' is not a whole number from {min}" : $"'{text}' is not a whole number from {min} to {max}"];
            return null;
        }

        bool Error(string field, string message)
        {
            errors[field] = [message];
            return false;
        }
    }

    /// <summary>The query string that shows this filter (for links that keep it while changing one thing). A page is
    /// kept only when <paramref name="page"/> says which (a new sort or view starts again at the first page); the
    /// page size is always kept.</summary>
    public string ToQuery(string? sort = null, bool? descending = null, IEnumerable<KeyValuePair<string, string>>? extra = null, int? page = null)
    {
        var parts = new List<KeyValuePair<string, string>>();
        if (Suite is not null) parts.Add(new("suite", Suite));
        if (Family is not null) parts.Add(new("family", Family));
        if (From is { } f) parts.Add(new("from", f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        if (To is { } t) parts.Add(new("to", t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        if (CurrentVersionOnly) parts.Add(new("current", "true"));
        if (View != OfficialView) parts.Add(new("view", View));
        parts.Add(new("sort", sort ?? Sort));
        parts.Add(new("dir", descending ?? Descending ? "desc" : "asc"));
        if (page is { } p) parts.Add(new("page", p.ToString(CultureInfo.InvariantCulture)));
        if (PageSize != DefaultPageSize) parts.Add(new("size", PageSize.ToString(CultureInfo.InvariantCulture)));
        if (extra is not null) parts.AddRange(extra);
        return string.Join('&', parts.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
