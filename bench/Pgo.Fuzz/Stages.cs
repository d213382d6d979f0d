using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Pgo.Build.CallGraph;
using Pgo.Build.Hints;
using Pgo.Build.Caching;
using Pgo.Build.Naming;
using Pgo.Build.Profiles;
using Pgo.Build.RuntimePgo;

namespace Pgo.Fuzz
{
    /// <summary>--stages "flood 40000": one attack profile through each stage, timed (to find what a slow input costs).</summary>
    internal static class Stages
    {
        public static int Run(string attack, string testdata)
        {
            if (attack == "bombs")
            {
                foreach (var bomb in Program.Bombs())
                {
                    var watch = Stopwatch.StartNew();
                    string result;
                    try
                    {
                        result = "decoded " + ProfileDecoder.Decode(bomb).Samples.Count + " samples";
                    }
                    catch (ProfileFormatException e)
                    {
                        result = e.Message;
                    }

                    Console.WriteLine($"{bomb.Length,10:N0} B {watch.Elapsed.TotalMilliseconds,8:0} ms peak RSS so far {Program.Rss("VmHWM") >> 20} MiB: {result}");
                }

                return 0;
            }

            var parts = attack.Split(' ');
            int a = int.Parse(parts[1]), b = parts.Length > 2 ? int.Parse(parts[2]) : 0;
            var (raw, recipe) = parts[0] switch
            {
                "flood" => Mutator.Flood(a),
                "longname" => Mutator.LongNameDeepStack(a, b),
                "sampletypes" => Mutator.ManySampleTypes(a),
                "recordflood" => Mutator.RecordFlood(a),
                "labelflood" => Mutator.LabelFlood(a),
                "edges" => Mutator.ManyEdgesLongNames(a, b),
                _ => (File.ReadAllBytes(parts[0]), parts[0]),
            };
            for (int round = 0; round < 2; round++)
            {
            Console.WriteLine($"{recipe}: {raw.Length:N0} bytes (round {round + 1})");
            var w = Stopwatch.StartNew();
            void T(string what) { Console.WriteLine($"  {what,-28} {w.Elapsed.TotalMilliseconds,9:0.0} ms"); w.Restart(); }
            var profile = ProfileDecoder.Decode(raw); T("decode");
            int index = Math.Max(0, SampleIndex.Select(profile.SampleTypes, null, out _));
            var graph = CallGraphBuilder.Build(profile, index); T("graph");
            CallGraphBuilder.Build(profile, index, allFrames: true); T("graph (all frames)");
            var records = EmbeddedPgoReader.Read(profile); T("records " + records.Count);
            ReceiverTypeAgreement.Of(graph.Edges, records); T("receiver-type agreement");
            CallSiteHistogram.Of(records); T("call-site histograms");
            FrameNameReport.Of(graph.Functions); T("frame-name report");
            var prov = new HintProvenance(new string('0', 64), graph.SampleType, 99);
            var hot = HotSelection.HotCallSites(graph, 99); T("hot call sites");
            var bytes = InlineHintsFile.Write(hot, graph.TotalWeight, true, prov); T("inline-hints write");
            var f = FunctionsFile.Write(graph.Functions, graph.SampleValue, prov); T("functions write");
            var d = RuntimeRecordFiles.WriteDevirtHints(records, prov); T("devirt write");
            var c = GraphFile.Write(new PreprocessedProfile(graph, records), new string('0', 64)); T("cache entry write");
            GraphFile.ReadProfile(c, new string('0', 64)); T("cache entry read");
            var fold = new ProfileFold();
            fold.Add("a", profile); fold.Add("b", profile);
            var merged = fold.Finish(); T("merge x2");
            var enc = ProfileEncoder.Encode(merged.Profile); T("encode");
            ProfileDecoder.Decode(enc); T("decode merged");
            }

            return 0;
        }
    }
}
