using System;
using System.Collections.Generic;

namespace Pgo.Tool.Recording
{
    /// <summary>What to record and how the child runtime is configured while recording.</summary>
    internal sealed class RecordSettings
    {
        public required string Output { get; init; }

        public TimeSpan? Duration { get; init; }

        /// <summary>
        /// Run the child with <c>DOTNET_ReadyToRun=0</c>, so framework code is jitted: instrumented by tiered PGO
        /// and mapped to IL offsets like the app's own code. Default on (docs/tool.md explains the measurement).
        /// </summary>
        public bool DisableReadyToRun { get; init; } = true;

        /// <summary>
        /// Attach mode: the share of each second EventPipe's sampler runs (its rate is fixed at 1 kHz, so bursts are the
        /// way to sample less): 0.1 by default, an average of 100 samples a second per running thread as with Go's
        /// profiler; 1 samples all the time. docs/tool.md has the measured cost.
        /// </summary>
        public double SampleShare { get; init; } = DefaultSampleShare;

        public const double DefaultSampleShare = 0.1;

        /// <summary>Keep the temporary trace and runtime PGO text (for debugging).</summary>
        public bool KeepTemp { get; init; }

        /// <summary>The runtime settings the recorded child runs with, besides the EventPipe ones.</summary>
        public IReadOnlyDictionary<string, string> RuntimeEnvironment(string pgoTextPath)
        {
            var env = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["DOTNET_TieredPGO"] = "1",
                ["DOTNET_WritePGOData"] = "1",
                ["DOTNET_PGODataPath"] = pgoTextPath,
            };
            if (DisableReadyToRun)
            {
                env["DOTNET_ReadyToRun"] = "0";
            }

            return env;
        }

        /// <summary>
        /// SampleProfiler stacks plus the runtime provider's Loader (0x8), Jit (0x10) and
        /// JittedMethodILToNativeMap (0x20000) keywords at verbose level: method names, code ranges and IL maps.
        /// </summary>
        public const string RuntimeKeywords = "0x20018";

        public const string EventPipeConfig = "Microsoft-DotNETCore-SampleProfiler:0:5,Microsoft-Windows-DotNETRuntime:" + RuntimeKeywords + ":5";
    }
}
