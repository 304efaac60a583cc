using Evals.Storage.Text;

namespace Evals.Web.Api;

/// <summary>
/// <see cref="StoredText"/>'s rule for the query string, before any endpoint or page sees it: a parameter whose value
/// holds U+0000 or a lone surrogate (PostgreSQL refuses both as a query parameter too), or is longer than
/// <see cref="MaxValueLength"/>, is answered 400 naming the parameter. No parameter of ours needs more.
/// </summary>
public static class QueryTextRule
{
    public const int MaxValueLength = 2_000;

    public static IApplicationBuilder UseQueryTextRule(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (key, values) in context.Request.Query)
        {
            var name = StoredText.Problem(key) is null && key.Length <= 100 ? key : "query";
            if (name != key) errors[name] = ["a parameter name is not valid text or is longer than 100 characters"];
            foreach (var value in values)
            {
                if (value is null) continue;
                if (StoredText.Problem(value) is { } problem) errors[name] = [$"the value {problem}"];
                else if (value.Length > MaxValueLength) errors[name] = [$"the value has {value.Length} characters; at most {MaxValueLength} are allowed"];
            }
        }
        if (errors.Count > 0)
        {
            await TypedResults.ValidationProblem(errors, title: "Bad query parameter").ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}
