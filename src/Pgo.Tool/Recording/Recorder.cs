using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Diagnostics.NETCore.Client;
using Pgo.Build.IO;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;
using Pgo.Tool.Cli;

namespace Pgo.Tool.Recording
{
    /// <summary>
    /// Records a profile: runs a command (or attaches to a process) with EventPipe sampling, collects the
    /// runtime's PGO data written at shutdown, and writes one gzip pprof file.
    /// </summary>
    internal sealed class Recorder
    {
        private readonly TextWriter _progress;
        private readonly TerminalProgress _status;

        /// <param name="progress">where the tool's notes go (stderr); a terminal also gets a live status line.</param>
        public Recorder(TextWriter progress)
        {
            _progress = progress;
            _status = TerminalProgress.For(progress);
        }

        /// <summary>Runs <paramref name="command"/> to completion (or until the duration ends) and records it.</summary>
        public (RecordStats Stats, int ExitCode) RecordChild(IReadOnlyList<string> command, RecordSettings settings)
        {
            string temp = CreateTempDirectory();
            try
            {
                string pgoText = Path.Combine(temp, "runtime-pgo.txt");
                var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
                foreach (var arg in command.Skip(1))
                {
                    start.ArgumentList.Add(arg);
                }

                if (settings.Duration == null)
                {
                    // The whole run, from the first instruction: the runtime writes the trace itself and completes it at exit.
                    start.Environment["DOTNET_EnableEventPipe"] = "1";
                    start.Environment["DOTNET_EventPipeOutputPath"] = Path.Combine(temp, "trace-{pid}.nettrace");
                    start.Environment["DOTNET_EventPipeOutputStreaming"] = "1";
                    start.Environment["DOTNET_EventPipeConfig"] = RecordSettings.EventPipeConfig;
                }
                foreach (var kv in settings.RuntimeEnvironment(pgoText))
                {
                    start.Environment[kv.Key] = kv.Value;
                }

                _progress.WriteLine($"pgo: recording {string.Join(" ", command)}");
                DateTime startUtc = DateTime.UtcNow;
                var watch = Stopwatch.StartNew();
                Process process;
                try
                {
                    process = Process.Start(start) ?? throw new ToolException($"could not start '{command[0]}'");
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    throw new ToolException($"could not start '{command[0]}': {e.Message}", ExitCodes.Failure, e);
                }

                using (process)
                {
                    string trace;
                    if (settings.Duration is TimeSpan limit)
                    {
                        // A program stopped from outside never completes a trace written by its own runtime, so a
                        // limited recording goes through the diagnostics port: the session is stopped (with rundown)
                        // at the end of the duration, then the program is asked to exit.
                        trace = Path.Combine(temp, "trace.nettrace");
                        bool reached = Collect(WaitForDiagnosticsPort(process), process.Id, limit, trace);
                        if (reached && !process.WaitForExit(TimeSpan.FromSeconds(1)))
                        {
                            _progress.WriteLine($"pgo: duration {limit.TotalSeconds:0.###}s reached, asking the program to exit (SIGTERM)");
                            Terminate(process);
                        }
                    }
                    else
                    {
                        process.WaitForExit();
                        trace = FindTrace(temp, process.Id);
                    }

                    process.WaitForExit();
                    watch.Stop();

                    // The runtime's PGO text is parsed on another core while the trace is read.
                    var pgo = Task.Run(() => ReadRuntimePgo(pgoText));
                    var stats = WriteProfile(new[] { trace }, pgo, startUtc, watch.Elapsed, settings.Output, new[] { "recorded by pgo " + ToolInfo.Version, "program: " + Path.GetFileName(command[0]) });
                    if (settings.KeepTemp)
                    {
                        _progress.WriteLine($"pgo: kept {temp}");
                    }

                    return (stats, process.ExitCode);
                }
            }
            finally
            {
                if (!settings.KeepTemp)
                {
                    TryDeleteDirectory(temp);
                }
            }
        }

        /// <summary>Attaches to a running .NET process for <paramref name="duration"/> (CPU samples only).</summary>
        public RecordStats Attach(int pid, TimeSpan duration, RecordSettings settings)
        {
            string temp = CreateTempDirectory();
            try
            {
                string trace = Path.Combine(temp, "trace.nettrace");
                DateTime startUtc = DateTime.UtcNow;
                var watch = Stopwatch.StartNew();
                var client = new DiagnosticsClient(pid);
                var comments = new List<string> { "recorded by pgo " + ToolInfo.Version, "program: pid " + pid };
                IReadOnlyList<string> traces;
                if (settings.SampleShare >= 1)
                {
                    Collect(client, pid, duration, trace);
                    traces = new[] { trace };
                }
                else
                {
                    traces = CollectInBursts(client, pid, duration, settings.SampleShare, temp);
                    comments.Add($"sampled {SampleBurst(settings.SampleShare).TotalMilliseconds:0} ms of every second ({settings.SampleShare:0.##%})");
                }

                watch.Stop();
                _progress.WriteLine("pgo: note: runtime PGO data is written at process exit; an attached recording holds CPU samples only");
                if (settings.KeepTemp)
                {
                    _progress.WriteLine($"pgo: kept {temp}");
                }

                return WriteProfile(traces, Task.FromResult((Array.Empty<RuntimePgoMethod>() as IReadOnlyList<RuntimePgoMethod>, (string?)null)), startUtc, watch.Elapsed, settings.Output, comments);
            }
            finally
            {
                if (!settings.KeepTemp)
                {
                    TryDeleteDirectory(temp);
                }
            }
        }

        /// <summary>
        /// One EventPipe session over the diagnostics port (SampleProfiler + method events, rundown at the end), copied
        /// to <paramref name="trace"/> until <paramref name="duration"/> ends (true) or the process exits (false).
        /// </summary>
        private bool Collect(DiagnosticsClient client, int pid, TimeSpan duration, string trace)
        {
            var providers = new[] { Sampler(), RuntimeMethodEvents() };
            EventPipeSession session;
            try
            {
                session = client.StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 256);
            }
            catch (Exception e) when (e is ServerNotAvailableException || e is DiagnosticsClientException || e is UnauthorizedAccessException || e is IOException)
            {
                throw new ToolException($"cannot attach to process {pid}: {e.Message}", ExitCodes.Failure, e);
            }

            using (session)
            using (var file = File.Create(trace))
            {
                _progress.WriteLine($"pgo: recording process {pid} for {duration.TotalSeconds:0.###}s");
                var copy = session.EventStream.CopyToAsync(file);
                var elapsed = Stopwatch.StartNew();
                bool reached = true;
                while (elapsed.Elapsed < duration)
                {
                    var left = duration - elapsed.Elapsed;
                    if (copy.Wait(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200)))
                    {
                        reached = false;
                        break;
                    }

                    _status.Report($"recording process {pid}: {elapsed.Elapsed.TotalSeconds:0} of {duration.TotalSeconds:0.###} s");
                }

                _status.Clear();
                if (reached && !StopSession(session))
                {
                    _progress.WriteLine("pgo: warning: the process went away before the session stopped");
                }

                WaitForCopy(copy);
                return reached;
            }
        }

        private static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(1);

        private static TimeSpan SampleBurst(double share) => TimeSpan.FromMilliseconds(Math.Max(1, Math.Round(SamplePeriod.TotalMilliseconds * share)));

        private static EventPipeProvider RuntimeMethodEvents() =>
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Verbose, Convert.ToInt64(RecordSettings.RuntimeKeywords, 16));

        private static EventPipeProvider Sampler() =>
            new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", System.Diagnostics.Tracing.EventLevel.Informational);

        /// <summary>
        /// Production recording with the sampler on for a share of each second. EventPipe's sampler has a fixed rate (it
        /// stops every managed thread once a millisecond to walk its stack), so its cost is cut by running it in bursts:
        /// one session carries the method events for the whole duration (and the rundown that names the code that was
        /// already there), and every second a session with the sampler alone runs for <paramref name="share"/> of it.
        /// Returns the traces: the method session's first, then one per burst.
        /// </summary>
        private IReadOnlyList<string> CollectInBursts(DiagnosticsClient client, int pid, TimeSpan duration, double share, string temp)
        {
            string main = Path.Combine(temp, "trace.nettrace");
            var traces = new List<string> { main };
            EventPipeSession methods;
            try
            {
                methods = client.StartEventPipeSession(new[] { RuntimeMethodEvents() }, requestRundown: true, circularBufferMB: 256);
            }
            catch (Exception e) when (e is ServerNotAvailableException || e is DiagnosticsClientException || e is UnauthorizedAccessException || e is IOException)
            {
                throw new ToolException($"cannot attach to process {pid}: {e.Message}", ExitCodes.Failure, e);
            }

            var burst = SampleBurst(share);
            _progress.WriteLine($"pgo: recording process {pid} for {duration.TotalSeconds:0.###}s, sampling {burst.TotalMilliseconds:0} ms of every second");
            using (methods)
            using (var file = File.Create(main))
            {
                var copy = methods.EventStream.CopyToAsync(file);
                var elapsed = Stopwatch.StartNew();
                for (int i = 0; elapsed.Elapsed < duration && !copy.IsCompleted; i++)
                {
                    var on = duration - elapsed.Elapsed < burst ? duration - elapsed.Elapsed : burst;
                    string path = Path.Combine(temp, $"samples-{i}.nettrace");
                    if (!SampleFor(client, on, path))
                    {
                        break; // the process is gone
                    }

                    traces.Add(path);
                    _status.Report($"recording process {pid}: {elapsed.Elapsed.TotalSeconds:0} of {duration.TotalSeconds:0.###} s");
                    var next = SamplePeriod * (i + 1);
                    if (next >= duration || copy.Wait(next - elapsed.Elapsed > TimeSpan.Zero ? next - elapsed.Elapsed : TimeSpan.Zero))
                    {
                        break;
                    }
                }

                var rest = duration - elapsed.Elapsed;
                bool exited = rest > TimeSpan.Zero && copy.Wait(rest);
                _status.Clear();
                if (!exited)
                {
                    StopSession(methods);
                }

                WaitForCopy(copy);
            }

            return traces;
        }

        /// <summary>One sampler-only session for <paramref name="length"/>, copied to <paramref name="path"/>; false when the process is gone.</summary>
        private static bool SampleFor(DiagnosticsClient client, TimeSpan length, string path)
        {
            EventPipeSession session;
            try
            {
                session = client.StartEventPipeSession(new[] { Sampler() }, requestRundown: false, circularBufferMB: 16);
            }
            catch (Exception e) when (e is ServerNotAvailableException || e is DiagnosticsClientException || e is IOException)
            {
                return false;
            }

            using (session)
            using (var file = File.Create(path))
            {
                var copy = session.EventStream.CopyToAsync(file);
                if (!copy.Wait(length))
                {
                    StopSession(session);
                }

                WaitForCopy(copy);
            }

            return true;
        }

        private static bool StopSession(EventPipeSession session)
        {
            try
            {
                session.Stop();
                return true;
            }
            catch (Exception e) when (e is ServerNotAvailableException || e is IOException || e is TimeoutException)
            {
                return false;
            }
        }

        private static void WaitForCopy(Task copy)
        {
            try
            {
                copy.Wait();
            }
            catch (AggregateException)
            {
                // The stream ends abruptly when the process exits; what was written is kept.
            }
        }

        /// <summary>A client for a just-started child, once its runtime has opened the diagnostics port (up to 30 s).</summary>
        private static DiagnosticsClient WaitForDiagnosticsPort(Process process)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                if (DiagnosticsClient.GetPublishedProcesses().Contains(process.Id))
                {
                    return new DiagnosticsClient(process.Id);
                }

                Thread.Sleep(20);
            }

            throw new ToolException(process.HasExited
                ? $"the program exited (code {process.ExitCode}) before it could be attached to"
                : "the program opened no .NET diagnostics port within 30 s: is it a .NET program (record the program itself, e.g. 'dotnet app.dll')?");
        }

        /// <summary>
        /// Converts a trace to the pprof file <paramref name="output"/>; a null start or duration is taken from the
        /// trace's first and last events.
        /// </summary>
        public RecordStats WriteProfile(string trace, IReadOnlyList<RuntimePgoMethod> pgo, DateTime? startUtc, TimeSpan? duration, string output, IReadOnlyList<string> comments) =>
            WriteProfile(new[] { trace }, Task.FromResult((pgo, (string?)null)), startUtc, duration, output, comments);

        /// <summary>
        /// Converts a trace, and the runtime PGO data <paramref name="pgo"/> read meanwhile (with a warning to print, if
        /// any), to the pprof file <paramref name="output"/>.
        /// </summary>
        private RecordStats WriteProfile(IReadOnlyList<string> traces, Task<(IReadOnlyList<RuntimePgoMethod> Methods, string? Warning)> pgo, DateTime? startUtc, TimeSpan? duration, string output, IReadOnlyList<string> comments)
        {
            var watch = Stopwatch.StartNew();
            _progress.WriteLine("pgo: symbolizing");
            TraceContents contents;
            try
            {
                contents = NettraceReader.Read(traces, (done, total) =>
                    _status.Report("reading trace", done, total, $"{TerminalProgress.Megabytes(done)} of {TerminalProgress.Megabytes(total)} MB"));
            }
            catch (Exception e) when (e is FormatException || e is EndOfStreamException || e is IOException)
            {
                _status.Clear();
                throw new ToolException($"the trace is incomplete or unreadable ({e.Message}); nothing was written", ExitCodes.Failure, e);
            }

            var (methods, warning) = pgo.GetAwaiter().GetResult();
            _status.Clear();
            if (contents.Truncated)
            {
                _progress.WriteLine($"pgo: warning: the trace ends early (its writer was stopped before finishing it); the {contents.Samples.Count:N0} samples before the cut are kept");
            }

            if (warning != null)
            {
                _progress.WriteLine(warning);
            }

            using var symbols = new Symbolizer(contents);
            var builder = new RecordedProfileBuilder(contents, symbols);
            var start = startUtc ?? contents.FirstEvent ?? DateTime.UnixEpoch;
            var length = duration ?? (contents.FirstEvent.HasValue && contents.LastEvent.HasValue ? contents.LastEvent.Value - contents.FirstEvent.Value : TimeSpan.Zero);
            var (profile, stats) = builder.Build(methods, start, length, comments,
                (done, total) => _status.Report("symbolizing", done, total, $"{done:N0} of {total:N0} samples"));
            _status.Clear();
            byte[] bytes = ProfileEncoder.Encode(profile);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (dir != null)
            {
                Directory.CreateDirectory(dir);
            }

            AtomicFile.Write(output, bytes);
            _progress.WriteLine(
                $"pgo: wrote {output}: {stats.CpuSamples} CPU samples ({stats.CpuSamples * RecordedProfileBuilder.SamplingPeriodNanos / 1_000_000} ms), " +
                $"runtime PGO data for {stats.PgoMethodsResolved} of {stats.PgoMethods} methods ({stats.PgoSamples} records); trace processed in {watch.ElapsedMilliseconds} ms");
            return stats;
        }

        /// <summary>The runtime's PGO text, and the warning to print when there is none (runs off the main thread: prints nothing).</summary>
        private static (IReadOnlyList<RuntimePgoMethod> Methods, string? Warning) ReadRuntimePgo(string path)
        {
            const string none = "pgo: warning: the runtime wrote no PGO data (tiered PGO off, or the program did not exit by itself before the end of the duration)";
            if (!File.Exists(path))
            {
                return (Array.Empty<RuntimePgoMethod>(), none);
            }

            try
            {
                var methods = RuntimePgoText.Read(path);
                return (methods, methods.Count == 0 ? none : null);
            }
            catch (FormatException e)
            {
                return (Array.Empty<RuntimePgoMethod>(), $"pgo: warning: the runtime's PGO data could not be read ({e.Message}); the profile holds CPU samples only");
            }
        }

        private static string FindTrace(string temp, int pid)
        {
            string own = Path.Combine(temp, $"trace-{pid}.nettrace");
            if (File.Exists(own))
            {
                return own;
            }

            var any = new DirectoryInfo(temp).GetFiles("*.nettrace").OrderByDescending(f => f.Length).FirstOrDefault();
            return any?.FullName ?? throw new ToolException(
                "the program wrote no EventPipe trace: it is not a .NET program, or it exited before the runtime started (record the program itself, e.g. 'dotnet app.dll', not 'dotnet run')");
        }

        private static void Terminate(Process process)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && SendSignal(process.Id, 15) == 0 && process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                return;
            }

            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int SendSignal(int pid, int signal);

        private static string CreateTempDirectory()
        {
            string path = Path.Combine(Path.GetTempPath(), "pgo-record-" + Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(path);
            return path;
        }

        private static void TryDeleteDirectory(string path)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
