using System.CommandLine;
using Evals.Runner.Cli;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Evals.Runner.Gate;

/// <summary><c>evals models accept NAME</c>: mark a checkpoint accepted by hand (the first one of a family, or an override).</summary>
internal static class GateModels
{
    public static Command Accept()
    {
        var name = new Argument<string>("name") { Description = "Registered model name" };
        var command = new Command("accept", "Mark a registered model as its family's latest accepted checkpoint (the gate's --baseline latest-accepted)") { name };
        command.SetAction(async (parse, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var model = await ActivatorUtilities.CreateInstance<GateRuns>(host.Services).RegisteredAsync(parse.GetValue(name)!, null, ct)
                ?? throw new BadInputException($"unknown model '{parse.GetValue(name)}' (see `evals models list`)");
            if (model.Family is null) throw new BadInputException($"model '{model.Name}' has no family; only checkpoints of a family can be accepted");
            await ActivatorUtilities.CreateInstance<GateRuns>(host.Services).AcceptAsync(model.Id, ct);
            Console.WriteLine($"accepted {model.Name} as family {model.Family}'s latest checkpoint");
            return ExitCodes.Success;
        });
        return command;
    }
}
