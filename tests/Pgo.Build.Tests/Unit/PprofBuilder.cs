using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using Google.Protobuf;
using Pgo.Build.Profiles;
using Proto = Perftools.Profiles;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>Writes pprof protobuf test profiles with the generated <c>Perftools.Profiles</c> classes.</summary>
    internal sealed class PprofBuilder
    {
        private readonly Dictionary<string, long> _strings = new Dictionary<string, long>(StringComparer.Ordinal);

        public PprofBuilder()
        {
            Str("");
        }

        public Proto.Profile Message { get; } = new Proto.Profile();

        /// <summary>The usual CPU profile shape: samples/count, cpu/nanoseconds.</summary>
        public static PprofBuilder Cpu() => new PprofBuilder().SampleType("samples", "count").SampleType("cpu", "nanoseconds");

        public long Str(string s)
        {
            if (!_strings.TryGetValue(s, out long index))
            {
                index = Message.StringTable.Count;
                Message.StringTable.Add(s);
                _strings.Add(s, index);
            }

            return index;
        }

        public PprofBuilder SampleType(string type, string unit)
        {
            Message.SampleType.Add(new Proto.ValueType { Type = Str(type), Unit = Str(unit) });
            return this;
        }

        /// <summary>Adds a function; returns its id (1-based, in order of addition).</summary>
        public ulong Function(string name, long startLine = 0, string file = "main.go")
        {
            ulong id = (ulong)Message.Function.Count + 1;
            Message.Function.Add(new Proto.Function { Id = id, Name = Str(name), SystemName = Str(name), Filename = Str(file), StartLine = startLine });
            return id;
        }

        /// <summary>Adds a location whose lines are given innermost first, as pprof stores them; returns its id.</summary>
        public ulong Location(ulong address, params (ulong Function, long Line)[] lines)
        {
            ulong id = (ulong)Message.Location.Count + 1;
            var location = new Proto.Location { Id = id, Address = address };
            foreach (var (function, line) in lines)
            {
                location.Line.Add(new Proto.Line { FunctionId = function, Line_ = line });
            }

            Message.Location.Add(location);
            return id;
        }

        /// <summary>Adds a sample; the stack is leaf first.</summary>
        public PprofBuilder Sample(long[] values, params ulong[] stackLeafFirst)
        {
            var sample = new Proto.Sample();
            sample.Value.Add(values);
            sample.LocationId.Add(stackLeafFirst);
            Message.Sample.Add(sample);
            return this;
        }

        public byte[] ToBytes() => Message.ToByteArray();

        public byte[] ToGzip() => Gzip(ToBytes());

        public ProfileData Decode(ProfileLimits? limits = null) => ProfileDecoder.Decode(ToBytes(), limits);

        public static byte[] Gzip(byte[] raw)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(raw, 0, raw.Length);
            }

            return output.ToArray();
        }

        public static byte[] Gunzip(byte[] compressed)
        {
            using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
    }
}
