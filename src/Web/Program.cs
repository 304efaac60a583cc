var app = await Evals.Web.EvalsWebApp.BuildAsync(args);
app.Run();
