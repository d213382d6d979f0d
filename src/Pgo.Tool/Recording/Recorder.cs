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

        public Recorder(TextWriter progress)
        {
            _progress = progress;
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

                start.Environment["DOTNET_EnableEventPipe"] = "1";
                start.Environment["DOTNET_EventPipeOutputPath"] = Path.Combine(temp, "trace-{pid}.nettrace");
                start.Environment["DOTNET_EventPipeOutputStreaming"] = "1";
                start.Environment["DOTNET_EventPipeConfig"] = RecordSettings.EventPipeConfig;
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
                    if (settings.Duration is TimeSpan limit && !process.WaitForExit(limit))
                    {
                        _progress.WriteLine($"pgo: duration {limit.TotalSeconds:0.###}s reached, asking the program to exit (SIGTERM)");
                        Terminate(process);
                    }

                    process.WaitForExit();
                    watch.Stop();
                    string trace = FindTrace(temp, process.Id);
                    var pgo = ReadRuntimePgo(pgoText);
                    if (pgo.Count == 0)
                    {
                        _progress.WriteLine("pgo: warning: the runtime wrote no PGO data (tiered PGO off, or the program did not exit normally)");
                    }

                    var stats = WriteProfile(trace, pgo, startUtc, watch.Elapsed, settings.Output, Path.GetFileName(command[0]));
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
                var providers = new[]
                {
                    new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", System.Diagnostics.Tracing.EventLevel.Informational),
                    new EventPipeProvider("Microsoft-Windows-DotNETRuntime", System.Diagnostics.Tracing.EventLevel.Verbose, Convert.ToInt64(RecordSettings.RuntimeKeywords, 16)),
                };
                var client = new DiagnosticsClient(pid);
                DateTime startUtc = DateTime.UtcNow;
                var watch = Stopwatch.StartNew();
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
                {
                    _progress.WriteLine($"pgo: recording process {pid} for {duration.TotalSeconds:0.###}s");
                    Task copy;
                    using (var file = File.Create(trace))
                    {
                        copy = session.EventStream.CopyToAsync(file);
                        bool exited = copy.Wait(duration);
                        if (!exited)
                        {
                            try
                            {
                                session.Stop();
                            }
                            catch (Exception e) when (e is ServerNotAvailableException || e is IOException || e is TimeoutException)
                            {
                                _progress.WriteLine("pgo: warning: the process went away before the session stopped");
                            }
                        }

                        try
                        {
                            copy.Wait();
                        }
                        catch (AggregateException)
                        {
                            // The stream ends abruptly when the process exits; what was written is kept.
                        }
                    }

                    watch.Stop();
                    _progress.WriteLine("pgo: note: runtime PGO data is written at process exit; an attached recording holds CPU samples only");
                    return WriteProfile(trace, Array.Empty<RuntimePgoMethod>(), startUtc, watch.Elapsed, settings.Output, "pid " + pid);
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

        /// <summary>Converts a trace (+ optional runtime PGO text) to the pprof file <paramref name="output"/>.</summary>
        public RecordStats WriteProfile(string trace, IReadOnlyList<RuntimePgoMethod> pgo, DateTime startUtc, TimeSpan duration, string output, string program)
        {
            _progress.WriteLine("pgo: symbolizing");
            var contents = NettraceReader.Read(trace);
            using var symbols = new Symbolizer(contents);
            var builder = new RecordedProfileBuilder(contents, symbols);
            var comments = new[] { "recorded by pgo " + ToolInfo.Version, "program: " + program };
            var (profile, stats) = builder.Build(pgo, startUtc, duration, comments);
            byte[] bytes = ProfileEncoder.Encode(profile);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (dir != null)
            {
                Directory.CreateDirectory(dir);
            }

            AtomicFile.Write(output, bytes);
            _progress.WriteLine(
                $"pgo: wrote {output}: {stats.CpuSamples} CPU samples ({stats.CpuSamples * RecordedProfileBuilder.SamplingPeriodNanos / 1_000_000} ms), " +
                $"runtime PGO data for {stats.PgoMethodsResolved} of {stats.PgoMethods} methods ({stats.PgoSamples} records)");
            return stats;
        }

        private IReadOnlyList<RuntimePgoMethod> ReadRuntimePgo(string path)
        {
            if (!File.Exists(path))
            {
                return Array.Empty<RuntimePgoMethod>();
            }

            try
            {
                return RuntimePgoText.Read(path);
            }
            catch (FormatException e)
            {
                _progress.WriteLine($"pgo: warning: the runtime's PGO data could not be read ({e.Message}); the profile holds CPU samples only");
                return Array.Empty<RuntimePgoMethod>();
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
