using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using Pgo.Build.Caching;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.IO;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Build.Engine
{
    /// <summary>Receives the engine's diagnostics; the MSBuild task forwards them to the build log.</summary>
    public interface IPgoLog
    {
        void Message(string text);

        void Warning(string code, string text, string? file);
    }

    public sealed class PgoRequest
    {
        public PgoRequest(string profilePath, string outputDirectory, string cacheDirectory)
        {
            ProfilePath = profilePath;
            OutputDirectory = outputDirectory;
            CacheDirectory = cacheDirectory;
        }

        /// <summary>Absolute path of the profile.</summary>
        public string ProfilePath { get; }

        /// <summary>Where the hint files go, e.g. <c>obj/Debug/net10.0/pgo/</c>.</summary>
        public string OutputDirectory { get; }

        public string CacheDirectory { get; }

        public double HotCallsiteThreshold { get; set; } = HotSelection.DefaultThreshold;

        public ProfileLimits Limits { get; set; } = ProfileLimits.Default;

        /// <summary><c>PgoSampleType</c> and <c>PgoEdgeFrames</c>: what shapes the graph besides the bytes.</summary>
        public AnalysisOptions Options { get; set; } = AnalysisOptions.Default;

        /// <summary>Everything besides the profile bytes that shapes the outputs; part of the up-to-date stamp.</summary>
        public string SettingsKey =>
            GraphCache.EngineVersion + ";threshold=" + HotCallsiteThreshold.ToString("R", CultureInfo.InvariantCulture) +
            (Options.CacheVariant.Length == 0 ? "" : ";" + Options.CacheVariant);
    }

    public sealed class PgoResult
    {
        internal PgoResult(StateFile state, CacheStatus cache, WeightedCallGraph graph, IReadOnlyList<CallEdge> hotCallSites,
            IReadOnlyList<FunctionWeight> hotFunctions, IReadOnlyList<string> files, IReadOnlyList<string> changed)
        {
            State = state;
            Cache = cache;
            Graph = graph;
            HotCallSites = hotCallSites;
            HotFunctions = hotFunctions;
            Files = files;
            ChangedFiles = changed;
        }

        /// <summary>What was written to the output directory's state file.</summary>
        public StateFile State { get; }

        public string ProfileSha256 => State.ProfileSha256;
        public CacheStatus Cache { get; }
        public bool CacheHit => Cache == CacheStatus.Hit;
        public WeightedCallGraph Graph { get; }
        public IReadOnlyList<CallEdge> HotCallSites { get; }
        public IReadOnlyList<FunctionWeight> HotFunctions { get; }

        /// <summary>Every file of the output directory this run stands behind (hint files and state).</summary>
        public IReadOnlyList<string> Files { get; }

        /// <summary>The subset of <see cref="Files"/> whose content changed (and so was written).</summary>
        public IReadOnlyList<string> ChangedFiles { get; }

        /// <summary>The summary line without the cache status.</summary>
        public string Summary => State.Summary;

        public string SummaryWithStatus => Summary + Cache switch
        {
            CacheStatus.Hit => " (cache hit)",
            CacheStatus.Replaced => " (cache miss: damaged entry replaced, profile decoded)",
            _ => " (cache miss: profile decoded)",
        };
    }

    /// <summary>What the per-user cache did for a run.</summary>
    public enum CacheStatus
    {
        /// <summary>No entry (or no cache): the profile was decoded and the entry written.</summary>
        Miss,

        /// <summary>The entry answered: the profile was not decoded.</summary>
        Hit,

        /// <summary>The entry was damaged (checksum, format, another profile's): decoded again, and the entry written anew.</summary>
        Replaced,
    }

    /// <summary>The outcome of a build step: either fresh work or the recorded state of an up-to-date run.</summary>
    public sealed class PgoOutcome
    {
        internal PgoOutcome(PgoResult? result, StateFile state)
        {
            Result = result;
            State = state;
        }

        /// <summary>Null when the outputs were up to date and the profile was not read.</summary>
        public PgoResult? Result { get; }

        public StateFile State { get; }

        public bool UpToDate => Result == null;

        public string SummaryWithStatus => Result?.SummaryWithStatus ?? State.Summary + " (up to date)";
    }

    /// <summary>
    /// One data flow: profile bytes → SHA-256 → cached or freshly built <see cref="WeightedCallGraph"/> → hot sets →
    /// hint files. Free of MSBuild types. On bad input it throws <see cref="PgoException"/> after removing the
    /// output directory's hint files, so nothing stale or partial is left for a consumer.
    /// </summary>
    public static class PgoEngine
    {
        /// <summary>
        /// The build step: nothing at all when the output directory's state stamp says the profile file and the
        /// settings are unchanged and every output exists; <see cref="Run"/> otherwise.
        /// </summary>
        public static PgoOutcome RunIncremental(PgoRequest request, IPgoLog log, CancellationToken cancellation = default)
        {
            ReportSwept(log, AtomicFile.SweepTemporaryFiles(request.OutputDirectory, subdirectories: true), request.OutputDirectory);
            string stamp = StateFile.StampFor(request.ProfilePath, request.SettingsKey);
            var state = StateFile.TryRead(Path.Combine(request.OutputDirectory, HintFileNames.State));
            if (state != null && state.Matches(stamp) && AllOutputsExist(request.OutputDirectory))
            {
                foreach (var w in state.Warnings)
                {
                    log.Warning(w.Code, w.Text, w.File);
                }

                return new PgoOutcome(null, state);
            }

            var result = Run(request, log, cancellation);
            return new PgoOutcome(result, result.State);
        }

        public static PgoResult Run(PgoRequest request, IPgoLog log, CancellationToken cancellation = default)
        {
            try
            {
                return RunCore(request, log, cancellation);
            }
            catch (Exception e) when (e is PgoException || e is OperationCanceledException)
            {
                DeleteOutputs(request.OutputDirectory);
                throw;
            }
        }

        /// <summary>Removes the hint files of an output directory and the .mibc stage's state (bad profile, PGO switched off).</summary>
        public static void DeleteOutputs(string outputDirectory)
        {
            foreach (var name in HintFileNames.All)
            {
                AtomicFile.TryDelete(Path.Combine(outputDirectory, name));
            }

            AtomicFile.TryDelete(Path.Combine(outputDirectory, Mibc.MibcState.FileName));
        }

        /// <summary>Reads, hashes and preprocesses a profile (through the cache when one is given).</summary>
        public static (WeightedCallGraph Graph, string Sha256, bool CacheHit) Preprocess(
            string profilePath, GraphCache? cache, IPgoLog log, ProfileLimits limits, CancellationToken cancellation)
        {
            var (profile, sha, hit) = PreprocessProfile(profilePath, cache, log, limits, cancellation);
            return (profile.Graph, sha, hit);
        }

        /// <summary>Like <see cref="Preprocess"/>, with the runtime records the profile carries.</summary>
        public static (PreprocessedProfile Profile, string Sha256, bool CacheHit) PreprocessProfile(
            string profilePath, GraphCache? cache, IPgoLog log, ProfileLimits limits, CancellationToken cancellation, AnalysisOptions? options = null)
        {
            var (profile, sha, status) = PreprocessWithStatus(profilePath, cache, log, limits, cancellation, options);
            return (profile, sha, status == CacheStatus.Hit);
        }

        /// <summary>
        /// Like <see cref="PreprocessProfile"/>, saying what the cache did. A damaged entry (see <see cref="GraphCache.Load"/>)
        /// is logged with its problem and replaced by a fresh one.
        /// </summary>
        public static (PreprocessedProfile Profile, string Sha256, CacheStatus Cache) PreprocessWithStatus(
            string profilePath, GraphCache? cache, IPgoLog log, ProfileLimits limits, CancellationToken cancellation, AnalysisOptions? options = null)
        {
            byte[] bytes = ReadProfile(profilePath);
            string sha = Sha256Hex.Of(bytes);
            options ??= AnalysisOptions.Default;
            string variant = options.CacheVariant;
            var lookup = CacheLookup.Absent;
            string problem = "";
            if (cache != null)
            {
                ReportSwept(log, cache.SweepTemporaryFiles(), cache.GraphsDirectory);
                lookup = cache.Load(sha, variant, out PreprocessedProfile cached, out problem);
                if (lookup == CacheLookup.Hit)
                {
                    return (cached, sha, CacheStatus.Hit);
                }
            }

            var profile = Analyze(bytes, profilePath, limits, cancellation, options);
            bool stored = false;
            if (cache != null)
            {
                try
                {
                    cache.Store(sha, variant, profile);
                    stored = true;
                }
                catch (Exception e) when ((e is IOException || e is UnauthorizedAccessException) && !cache.TryLoad(sha, variant, out PreprocessedProfile _))
                {
                    // (A parallel build of another project that stored the same entry first is not a failure.)
                    log.Warning(PgoCodes.CacheWriteFailed, $"could not write the PGO cache entry under '{cache.Directory}': {Sentence(e.Message)} The build goes on; the next build decodes the profile again.", null);
                }

                if (lookup == CacheLookup.Damaged)
                {
                    log.Message($"PGO: the cache entry {cache.PathFor(sha, variant)} was damaged ({problem}); the profile was decoded again and the entry " +
                        (stored ? "rewritten." : "could not be rewritten (PGO102)."));
                }
            }

            return (profile, sha, lookup == CacheLookup.Damaged && stored ? CacheStatus.Replaced : CacheStatus.Miss);
        }

        /// <summary>Decodes profile bytes and builds Go's graph. Throws PGO002/PGO003 as <see cref="PgoException"/>.</summary>
        public static WeightedCallGraph BuildGraph(byte[] bytes, string profilePath, ProfileLimits limits, CancellationToken cancellation) =>
            Analyze(bytes, profilePath, limits, cancellation).Graph;

        /// <summary>Decodes profile bytes into Go's graph and the embedded runtime records.</summary>
        public static PreprocessedProfile Analyze(byte[] bytes, string profilePath, ProfileLimits limits, CancellationToken cancellation, AnalysisOptions? options = null)
        {
            options ??= AnalysisOptions.Default;
            ProfileData profile;
            try
            {
                profile = ProfileDecoder.Decode(bytes, limits, cancellation);
            }
            catch (ProfileFormatException e)
            {
                throw new PgoException(PgoCodes.UnreadableProfile, $"'{profilePath}' is not a readable pprof profile: {e.Message}", profilePath, e);
            }

            if (profile.Samples.Count == 0)
            {
                return new PreprocessedProfile(WeightedCallGraph.Empty, Array.Empty<RuntimeRecord>()); // Go accepts an empty profile: nothing to do.
            }

            int index = SampleIndex.Select(profile.SampleTypes, options.SampleType, out string problem);
            if (index < 0)
            {
                throw new PgoException(PgoCodes.NoUsableSampleType, problem + ".", profilePath);
            }

            try
            {
                var graph = CallGraphBuilder.Build(profile, index, cancellation, options.AllFrameEdges, limits);
                var records = EmbeddedPgoReader.Read(profile, limits, cancellation);
                return new PreprocessedProfile(graph, records, FrameNameReport.Of(graph.Functions, FunctionDetails(profile, cancellation)));
            }
            catch (ProfileFormatException e)
            {
                throw new PgoException(PgoCodes.UnreadableProfile, $"'{profilePath}' is not a readable pprof profile: {e.Message}", profilePath, e);
            }
        }

        /// <summary>System name and file name of a graph function (by name, first seen), for the frame-name report.</summary>
        private static Func<string, (string, string)> FunctionDetails(ProfileData profile, CancellationToken cancellation)
        {
            // Each location and function once (by reference), so the cost does not grow with stack depth times name length.
            var details = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
            var seenLocations = new HashSet<ProfileLocation>();
            var seenFunctions = new HashSet<ProfileFunction>(ByReference<ProfileFunction>.Instance);
            int samples = 0;
            foreach (var sample in profile.Samples)
            {
                if ((++samples & 0x3ff) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                foreach (var location in sample.Stack)
                {
                    if (!seenLocations.Add(location))
                    {
                        continue;
                    }

                    foreach (var line in location.Lines)
                    {
                        if (seenFunctions.Add(line.Function) && !details.ContainsKey(line.Function.Name))
                        {
                            details.Add(line.Function.Name, (line.Function.SystemName, line.Function.FileName));
                        }
                    }
                }
            }

            return name => details.TryGetValue(name, out var d) ? d : ("", "");
        }

        /// <summary>The one-line summary a build logs (and <c>pgo top</c> prints) for a profile.</summary>
        public static string Summarize(string profilePath, string sha256, WeightedCallGraph graph, int hotCallSites, int hotFunctions, int runtimeRecords = 0) =>
            string.Format(
                CultureInfo.InvariantCulture,
                "PGO: {0} (sha256 {1}): {2:N0} samples, {3:N0} edges, {4:N0} hot call sites, {5:N0} hot functions{6}{7}",
                profilePath,
                sha256.Substring(0, 8),
                graph.SampleCount,
                graph.Edges.Count,
                hotCallSites,
                hotFunctions,
                graph.HasStartLines ? "" : ", method-level (no start lines)",
                runtimeRecords > 0 ? string.Format(CultureInfo.InvariantCulture, ", {0:N0} runtime PGO records", runtimeRecords) : "");

        private static PgoResult RunCore(PgoRequest request, IPgoLog buildLog, CancellationToken cancellation)
        {
            var log = new WarningRecorder(buildLog);
            var cache = new GraphCache(request.CacheDirectory);
            var (profile, sha, status) = PreprocessWithStatus(request.ProfilePath, cache, log, request.Limits, cancellation, request.Options);
            var graph = profile.Graph;
            if (status == CacheStatus.Hit)
            {
                log.Message($"PGO: cache hit for sha256 {sha.Substring(0, 8)} ({cache.PathFor(sha, request.Options.CacheVariant)}): the profile is not decoded again.");
            }

            if (!graph.HasStartLines)
            {
                log.Warning(
                    PgoCodes.NoStartLines,
                    "profile missing Function.start_line data: call sites are matched per method only, not per line (every .NET profiler but 'pgo record' omits start lines).",
                    request.ProfilePath);
            }

            var names = profile.Names;
            if (names.IsLow)
            {
                log.Warning(
                    PgoCodes.UnrecognizedFrameNames,
                    "the profile may not belong to a .NET program: " + names + ". Functions are matched by their plain names; frames that are not .NET methods are ignored.",
                    request.ProfilePath);
            }
            else if (names.Functions > 0)
            {
                log.Message("PGO: " + names + ".");
            }

            var records = TrustedRecords(profile, request.ProfilePath, log);
            cancellation.ThrowIfCancellationRequested();
            var hotCalls = HotSelection.HotCallSites(graph, request.HotCallsiteThreshold);
            var hotFunctions = HotSelection.HotFunctions(graph, request.HotCallsiteThreshold);
            var provenance = new HintProvenance(sha, graph.SampleType, request.HotCallsiteThreshold);
            string summary = Summarize(request.ProfilePath, sha, graph, hotCalls.Count, hotFunctions.Count, profile.RuntimeRecords.Count);

            var state = new StateFile(StateFile.StampFor(request.ProfilePath, request.SettingsKey), Path.GetFileName(request.ProfilePath), sha, summary, log.ProfileWarnings);
            var outputs = new List<KeyValuePair<string, byte[]>>
            {
                Output(request, HintFileNames.HotFunctions, HotFunctionsFile.Write(hotFunctions, graph.TotalFlat, provenance)),
                Output(request, HintFileNames.Functions, FunctionsFile.Write(graph.Functions, graph.SampleValue, provenance)),
                Output(request, HintFileNames.InlineHints, InlineHintsFile.Write(hotCalls, graph.TotalWeight, graph.HasStartLines, provenance)),
                Output(request, HintFileNames.DevirtHints, RuntimeRecordFiles.WriteDevirtHints(records, provenance)),
                Output(request, HintFileNames.BlockCounts, RuntimeRecordFiles.WriteBlockCounts(records, provenance)),
                Output(request, HintFileNames.State, state.ToBytes()),
            };

            var files = new List<string>();
            var changed = new List<string>();
            foreach (var kv in outputs)
            {
                cancellation.ThrowIfCancellationRequested();
                files.Add(kv.Key);
                if (AtomicFile.WriteIfChanged(kv.Key, kv.Value))
                {
                    changed.Add(kv.Key);
                }
            }

            return new PgoResult(state, status, graph, hotCalls, hotFunctions, files, changed);
        }

        /// <summary>
        /// The runtime records the consumers get: all of them, unless the profile's receiver-type histograms contradict
        /// its own CPU samples (<see cref="ReceiverTypeAgreement"/>); then none, with PGO106.
        /// </summary>
        public static IReadOnlyList<RuntimeRecord> TrustedRecords(PreprocessedProfile profile, string profilePath, IPgoLog log)
        {
            var agreement = ReceiverTypeAgreement.Of(profile.Graph.Edges, profile.RuntimeRecords);
            if (agreement.Contradicted)
            {
                log.Warning(
                    PgoCodes.ReceiverTypesContradicted,
                    $"the profile's receiver-type histograms contradict its own CPU samples ({agreement}); its runtime PGO data is left out (no .mibc data, no devirtualization from it) and only the CPU samples are used. Record the program again (pgo record).",
                    profilePath);
            }
            else if (agreement.Checked > 0)
            {
                log.Message("PGO: " + agreement + ".");
            }

            return agreement.Apply(profile.RuntimeRecords);
        }

        /// <summary>Forwards to the build's log and keeps the warnings about the profile (not PGO102, which is about the cache).</summary>
        private sealed class WarningRecorder : IPgoLog
        {
            private readonly IPgoLog _inner;

            public WarningRecorder(IPgoLog inner)
            {
                _inner = inner;
            }

            public List<StateWarning> ProfileWarnings { get; } = new List<StateWarning>();

            public void Message(string text) => _inner.Message(text);

            public void Warning(string code, string text, string? file)
            {
                if (code != PgoCodes.CacheWriteFailed)
                {
                    ProfileWarnings.Add(new StateWarning(code, text, file));
                }

                _inner.Warning(code, text, file);
            }
        }

        /// <summary>Logs what <see cref="AtomicFile.SweepTemporaryFiles"/> removed, if anything.</summary>
        public static void ReportSwept(IPgoLog log, int removed, string directory)
        {
            if (removed > 0)
            {
                log.Message(string.Format(CultureInfo.InvariantCulture, "PGO: removed {0} temporary file{1} of an interrupted write in {2}.", removed, removed == 1 ? "" : "s", directory));
            }
        }

        /// <summary>An exception's message as one sentence: a final period only once, whether the message had one or not.</summary>
        internal static string Sentence(string message)
        {
            string trimmed = message.TrimEnd();
            return trimmed.EndsWith(".", StringComparison.Ordinal) ? trimmed : trimmed + ".";
        }

        private static bool AllOutputsExist(string outputDirectory)
        {
            foreach (var name in HintFileNames.All)
            {
                if (!File.Exists(Path.Combine(outputDirectory, name)))
                {
                    return false;
                }
            }

            return true;
        }

        private static KeyValuePair<string, byte[]> Output(PgoRequest request, string name, byte[] content) =>
            new KeyValuePair<string, byte[]>(Path.Combine(request.OutputDirectory, name), content);

        private static byte[] ReadProfile(string path)
        {
            try
            {
                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw new PgoException(PgoCodes.ProfileNotFound, $"error opening profile: open {path}: no such file or directory", path, e);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new PgoException(PgoCodes.UnreadableProfile, $"error opening profile: {path}: {e.Message}", path, e);
            }
        }
    }
}
