using System.Collections.Generic;
using System.IO;
using Pgo.Tool.Cli;

namespace Pgo.Tool.Commands
{
    /// <summary>One verb of the <c>pgo</c> tool.</summary>
    internal interface ICommand
    {
        string Name { get; }

        string Summary { get; }

        string Help { get; }

        /// <summary>Options that take a value: alias (e.g. <c>-o</c>, <c>--output</c>) to canonical name.</summary>
        IReadOnlyDictionary<string, string> ValueOptions { get; }

        IReadOnlyDictionary<string, string> FlagOptions { get; }

        int Run(Arguments args, TextWriter stdout, TextWriter stderr);
    }
}
