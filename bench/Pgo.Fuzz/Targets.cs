using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Pgo.Build;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Engine;
using Pgo.Build.Hints;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Fuzz
{
    /// <summary>
    /// Runs one input through every stage that reads profile data: the decoder, the graph (Go's edges and all
    /// frames), runtime-record extraction, the receiver-type check, the hint writers and the consumers' hint readers
    /// (on the written files and on damaged copies), the cache entry, the merger (with a real profile), the encoder
    /// and a decode of its output; every Nth input the whole engine (PgoEngine.Run with its cache and hint files).
    /// Returns the outcome: "ok", "rejected: ..." for a contract error, or throws for anything else.
    /// </summary>
    internal sealed class Targets
    {
        private readonly ProfileData _partner;
        private readonly string _dir;
        private readonly Random _random;
        private long _runs;

        public Targets(ProfileData partner, string dir, int seed)
        {
            _partner = partner;
            _dir = dir;
            _random = new Random(seed);
            Directory.CreateDirectory(dir);
        }

        public string Run(byte[] input, CancellationToken cancellation)
        {
            _runs++;
            if (_runs % 50 == 0)
            {
                return Engine(input, cancellation);
            }

            ProfileData profile;
            try
            {
                profile = ProfileDecoder.Decode(input, null, cancellation);
            }
            catch (ProfileFormatException e)
            {
                return Rejected("decode", e.Message);
            }

            string graphOutcome = "ok";
            WeightedCallGraph graph = WeightedCallGraph.Empty;
            int index = SampleIndex.Select(profile.SampleTypes, null, out _);
            if (index >= 0 || profile.SampleTypes.Count > 0)
            {
                try
                {
                    graph = CallGraphBuilder.Build(profile, index >= 0 ? index : 0, cancellation, allFrames: _random.Next(4) == 0);
                }
                catch (ProfileFormatException e)
                {
                    graphOutcome = Rejected("graph", e.Message);
                }
            }

            IReadOnlyList<RuntimeRecord> records = Array.Empty<RuntimeRecord>();
            try
            {
                records = EmbeddedPgoReader.Read(profile, null, cancellation);
            }
            catch (ProfileFormatException e)
            {
                graphOutcome = Rejected("records", e.Message);
            }

            var agreement = ReceiverTypeAgreement.Of(graph.Edges, records);
            _ = agreement.Apply(records);
            _ = CallSiteHistogram.Of(records);
            ReceiverTypeNames(records);
            _ = FrameNameReport.Of(graph.Functions).ToString();
            Hints(graph, records);
            Merge(profile, cancellation);
            return graphOutcome;
        }

        /// <summary>The .mibc writer's reading of receiver-type handles (every definition "found", so every part is built).</summary>
        private static void ReceiverTypeNames(IReadOnlyList<RuntimeRecord> records)
        {
            foreach (var r in records)
            {
                if (r.Handle.Length > 0 && RuntimeHandles.IsGenericInstantiation(r.Handle))
                {
                    _ = QualifiedTypeName.Parse(r.Handle)?.ToModel((assembly, name) => TypeModel.Named(assembly, "", name, null, isValueType: false));
                }
            }
        }

        private void Hints(WeightedCallGraph graph, IReadOnlyList<RuntimeRecord> records)
        {
            var provenance = new HintProvenance(new string('0', 64), graph.SampleType, 99);
            var hot = HotSelection.HotCallSites(graph, 99);
            var hotFunctions = HotSelection.HotFunctions(graph, 99);
            var files = new (string Name, byte[] Bytes, Action<string> Read)[]
            {
                (HintFileNames.HotFunctions, HotFunctionsFile.Write(hotFunctions, graph.TotalFlat, provenance), p => HotFunctionsFile.Read(p)),
                (HintFileNames.Functions, FunctionsFile.Write(graph.Functions, graph.SampleValue, provenance), p => FunctionsFile.Read(p)),
                (HintFileNames.InlineHints, InlineHintsFile.Write(hot, graph.TotalWeight, graph.HasStartLines, provenance), p => InlineHintsFile.Read(p)),
                (HintFileNames.DevirtHints, RuntimeRecordFiles.WriteDevirtHints(records, provenance), p => RuntimeRecordFiles.ReadDevirtHints(p)),
                (HintFileNames.BlockCounts, RuntimeRecordFiles.WriteBlockCounts(records, provenance), p => RuntimeRecordFiles.ReadBlockCounts(p)),
                ("graph.cache", GraphFile.Write(new PreprocessedProfile(graph, records), new string('0', 64)), p => GraphFile.ReadProfile(File.ReadAllBytes(p), new string('0', 64))),
            };
            foreach (var (name, bytes, read) in files)
            {
                string path = Path.Combine(_dir, name);
                File.WriteAllBytes(path, bytes);
                read(path); // what we wrote reads back
                if (bytes.Length > 0 && _random.Next(3) == 0)
                {
                    var damaged = (byte[])bytes.Clone();
                    for (int i = 0, n = 1 + _random.Next(4); i < n; i++)
                    {
                        damaged[_random.Next(damaged.Length)] = (byte)"\t\n\\#-9x0 "[_random.Next(9)];
                    }

                    if (_random.Next(3) == 0)
                    {
                        // A number too large for 64 bits where a field begins.
                        int at = Array.IndexOf(damaged, (byte)'\t', _random.Next(damaged.Length));
                        if (at >= 0)
                        {
                            damaged = damaged.Take(at + 1).Concat(System.Text.Encoding.ASCII.GetBytes("99999999999999999999")).Concat(damaged.Skip(at + 1)).ToArray();
                        }
                    }

                    File.WriteAllBytes(path, damaged);
                    try
                    {
                        read(path);
                    }
                    catch (FormatException)
                    {
                        // A damaged hint file or cache entry is reported as such (PGO002 / a cache miss).
                    }
                    catch (OverflowException) when (name == "graph.cache")
                    {
                        // GraphCache.TryLoad takes this as a miss too.
                    }
                }
            }
        }

        private void Merge(ProfileData profile, CancellationToken cancellation)
        {
            var fold = new ProfileFold(cancellation);
            try
            {
                fold.Add("partner", _partner);
                fold.Add("input", profile, _random.Next(3) == 0 ? 1.5 : 1.0);
                if (profile.DecodedBytes < 100_000)
                {
                    fold.Add("again", profile);
                }

                var merged = fold.Finish();
                var bytes = ProfileEncoder.Encode(merged.Profile, gzip: _random.Next(4) == 0, cancellation);
                var back = ProfileDecoder.Decode(bytes, null, cancellation);
                if (back.Samples.Count != merged.Profile.Samples.Count)
                {
                    throw new InvalidOperationException($"merged profile does not round-trip: {merged.Profile.Samples.Count} samples written, {back.Samples.Count} read");
                }
            }
            catch (ProfileMergeException)
            {
                // No common sample type, different period types, an overflow: the merge's own error.
            }
            catch (ProfileFormatException e) when (e.Message.Contains("(the limit)") || e.Message.Contains("more than the limit"))
            {
                // The merged profile (three copies) may exceed a decoder limit the input alone did not.
            }
        }

        private string Engine(byte[] input, CancellationToken cancellation)
        {
            string profile = Path.Combine(_dir, "default.pgo");
            File.WriteAllBytes(profile, input);
            var request = new PgoRequest(profile, Path.Combine(_dir, "obj"), Path.Combine(_dir, "cache"));
            try
            {
                PgoEngine.Run(request, new NullLog(), cancellation);
                return "ok";
            }
            catch (PgoException e)
            {
                foreach (var name in HintFileNames.All)
                {
                    if (File.Exists(Path.Combine(request.OutputDirectory, name)))
                    {
                        throw new InvalidOperationException($"{e.Code} left {name} behind");
                    }
                }

                return Rejected("engine " + e.Code, e.Message);
            }
        }

        private static string Rejected(string stage, string message)
        {
            // Class of a contract error: the stage and the message without its numbers and quoted names.
            var text = System.Text.RegularExpressions.Regex.Replace(message, @"'[^']*'|\d+", "#");
            return "rejected " + stage + ": " + (text.Length > 90 ? text.Substring(0, 90) : text);
        }

        private sealed class NullLog : IPgoLog
        {
            public void Message(string text)
            {
            }

            public void Warning(string code, string text, string? file)
            {
            }
        }
    }
}
