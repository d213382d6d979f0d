using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using Microsoft.Diagnostics.Tracing.EventPipe;

namespace Pgo.Tool.Recording
{
    /// <summary>
    /// Reads an EventPipe trace (.nettrace) into <see cref="TraceContents"/>: the SampleProfiler's managed
    /// stacks as raw return addresses, and the runtime's method load, IL-to-native map and module events
    /// (live or rundown) that symbolize them. Module paths come from the events, not from TraceEvent's
    /// lower-cased file names.
    /// </summary>
    internal static class NettraceReader
    {
        public static TraceContents Read(string nettracePath)
        {
            string etlx = Path.Combine(Path.GetTempPath(), "pgo-" + Guid.NewGuid().ToString("n") + ".etlx");
            try
            {
                var contents = new TraceContents();
                ReadMethods(nettracePath, contents);
                TraceLog.CreateFromEventPipeDataFile(nettracePath, etlx);
                using var log = new TraceLog(etlx);
                ReadSamples(log, contents);
                return contents;
            }
            finally
            {
                try
                {
                    File.Delete(etlx);
                }
                catch (IOException)
                {
                }
            }
        }

        private static void ReadSamples(TraceLog log, TraceContents contents)
        {
            foreach (var e in log.Events)
            {
                contents.FirstEvent ??= e.TimeStamp;
                contents.LastEvent = e.TimeStamp;
                if (e is ClrThreadSampleTraceData sample)
                {
                    if (sample.Type != ClrThreadSampleType.Managed)
                    {
                        contents.ExternalSamples++;
                        continue;
                    }

                    var stack = new List<ulong>();
                    for (var frame = sample.CallStack(); frame != null; frame = frame.Caller)
                    {
                        stack.Add(frame.CodeAddress.Address);
                    }

                    if (stack.Count > 0)
                    {
                        contents.Samples.Add(new StackSample(stack.ToArray()));
                    }
                }
            }
        }

        /// <summary>
        /// Modules, method code ranges and IL maps, read from the raw event stream: TraceLog consumes the
        /// IL-to-native map events itself and does not hand them out, so a raw pass reads them.
        /// </summary>
        private static void ReadMethods(string nettracePath, TraceContents contents)
        {
            var methods = new Dictionary<(long MethodId, long Version), CodeVersion>();
            using var source = new EventPipeEventSource(nettracePath);
            void OnEvent(TraceEvent e)
            {
                switch (e)
                {
                    case ModuleLoadUnloadTraceData module when module.ModuleILPath.Length > 0:
                        contents.Modules[(ulong)module.ModuleID] = module.ModuleILPath;
                        break;
                    case MethodLoadUnloadVerboseTraceData load when IsLoad(load):
                    {
                        var method = new JittedMethod((ulong)load.ModuleID, load.MethodToken, load.MethodNamespace, load.MethodName, load.MethodSignature);
                        var code = new CodeVersion(load.MethodStartAddress, (uint)load.MethodSize, method);
                        var key = (load.MethodID, load.ReJITID);
                        if (methods.TryGetValue(key, out var earlier) && earlier.Start == code.Start)
                        {
                            break;
                        }

                        methods[key] = code;
                        contents.Code.Add(code);
                        break;
                    }

                    case MethodILToNativeMapTraceData map:
                        if (methods.TryGetValue((map.MethodID, map.ReJITID), out var target))
                        {
                            var entries = new (uint, int)[map.CountOfMapEntries];
                            for (int i = 0; i < entries.Length; i++)
                            {
                                entries[i] = ((uint)map.NativeOffset(i), map.ILOffset(i));
                            }

                            target.Map = entries.OrderBy(x => x.Item1).ThenBy(x => x.Item2).ToArray();
                        }

                        break;
                }
            }

            // Live events cover code jitted while recording; the rundown at the end of the session (its own
            // provider) covers methods and modules that were there before it started (an attached recording).
            source.Clr.All += OnEvent;
            new ClrRundownTraceEventParser(source).All += OnEvent;
            try
            {
                source.Process();
            }
            catch (Exception e) when (e is FormatException || e is EndOfStreamException || e is IOException)
            {
                // A trace cut short (the program was stopped, or its runtime did not write the end of the stream):
                // everything read so far is kept.
                contents.Truncated = true;
            }
        }

        private static bool IsLoad(MethodLoadUnloadVerboseTraceData e) =>
            e.EventName.IndexOf("Unload", StringComparison.Ordinal) < 0;
    }
}
