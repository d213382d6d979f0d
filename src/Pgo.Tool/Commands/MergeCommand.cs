using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using Pgo.Build.IO;
using Pgo.Build.Profiles;
using Pgo.Tool.Cli;

namespace Pgo.Tool.Commands
{
    internal sealed class MergeCommand : ICommand
    {
        public string Name => "merge";

        public string Summary => "merge profiles (and their embedded runtime PGO data) into one";

        public string Help =>
@"Usage: pgo merge <a.pprof> <b.pprof> [...] -o merged.pprof [--weights 2,1,...]

Merges pprof profiles like 'go tool pprof -proto a b > merged': the sample types common to all inputs
are kept (others are dropped, with a note), samples with the same stack and labels are summed,
functions are deduplicated and durations summed. Runtime PGO data recorded by 'pgo record' merges too
(histograms are summed per call site). Output: gzip pprof, written atomically.

Options:
  -o, --output <file>     merged profile to write (required)
  -w, --weights <list>    one positive factor per input, comma-separated (e.g. per-workload share);
                          values are scaled and rounded
  -h, --help              this help
";

        public IReadOnlyDictionary<string, string> ValueOptions { get; } = new Dictionary<string, string>
        {
            ["-o"] = "output", ["--output"] = "output",
            ["-w"] = "weights", ["--weights"] = "weights",
        };

        public IReadOnlyDictionary<string, string> FlagOptions { get; } = new Dictionary<string, string>();

        public int Run(Arguments args, TextWriter stdout, TextWriter stderr)
        {
            string output = args.Value("output") ?? throw ToolException.Usage("give the output file with -o");
            if (args.Positionals.Count == 0)
            {
                throw ToolException.Usage("give at least one profile to merge");
            }

            IReadOnlyList<double>? weights = null;
            string? weightText = args.Value("weights");
            if (weightText != null)
            {
                weights = ParseWeights(weightText, args.Positionals.Count);
            }

            var watch = Stopwatch.StartNew();
            ProfileMergeResult merged;
            try
            {
                merged = Fold(args.Positionals, weights, stderr);
            }
            catch (ProfileMergeException e)
            {
                throw new ToolException(e.Message, ExitCodes.Failure, e);
            }

            foreach (var dropped in merged.DroppedSampleTypes)
            {
                stderr.WriteLine($"pgo: note: sample type {dropped} is not in every input and was dropped");
            }

            byte[] bytes = ProfileEncoder.Encode(merged.Profile);
            try
            {
                AtomicFile.Write(output, bytes);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new ToolException($"cannot write '{output}': {e.Message}", ExitCodes.Failure, e);
            }

            stderr.WriteLine(string.Format(CultureInfo.InvariantCulture, "pgo: wrote {0}: {1} inputs, {2:N0} samples, {3:N0} bytes in {4} ms",
                output, args.Positionals.Count, merged.Profile.Samples.Count, bytes.Length, watch.ElapsedMilliseconds));
            return ExitCodes.Success;
        }

        /// <summary>
        /// Decodes the inputs on all cores, a few ahead of the one being folded, and folds them in order: memory is the
        /// merged result plus a bounded number of decoded inputs, whatever their count.
        /// </summary>
        private static ProfileMergeResult Fold(IReadOnlyList<string> paths, IReadOnlyList<double>? weights, TextWriter stderr)
        {
            int window = Math.Max(2, Environment.ProcessorCount + 1);
            var pending = new Queue<Task<ProfileData>>();
            int next = 0;
            void Start()
            {
                string path = paths[next++];
                pending.Enqueue(Task.Run(() => Read(path)));
            }

            var fold = new ProfileFold();
            for (int i = 0; i < paths.Count; i++)
            {
                while (next < paths.Count && pending.Count < window)
                {
                    Start();
                }

                var profile = pending.Dequeue().GetAwaiter().GetResult();
                stderr.WriteLine($"pgo: read {paths[i]}");
                fold.Add(paths[i], profile, weights?[i] ?? 1.0);
            }

            return fold.Finish();
        }

        internal static ProfileData Read(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new ToolException($"cannot read '{path}': {e.Message}", ExitCodes.Failure, e);
            }

            try
            {
                return ProfileDecoder.Decode(bytes);
            }
            catch (ProfileFormatException e)
            {
                throw new ToolException($"'{path}' is not a readable pprof profile: {e.Message}", ExitCodes.Failure, e);
            }
        }

        private static IReadOnlyList<double> ParseWeights(string text, int inputs)
        {
            var parts = text.Split(',');
            if (parts.Length != inputs)
            {
                throw ToolException.Usage($"--weights has {parts.Length} values for {inputs} inputs");
            }

            var weights = new double[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]) || !(weights[i] > 0) || double.IsInfinity(weights[i]))
                {
                    throw ToolException.Usage($"invalid weight '{parts[i]}': a positive number");
                }
            }

            return weights;
        }
    }
}
