using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace Pgo.Build.CallGraph
{
    /// <summary>
    /// Go's preprocessed profile text (<c>cmd/internal/pgo/serialize.go</c>): <c>GO PREPROFILE V1</c>, then per
    /// edge in <see cref="WeightedCallGraph.Edges"/> order the caller, the callee and "offset weight", one per
    /// line, LF line ends, UTF-8 without BOM. Our export is byte-identical to <c>go tool preprofile</c>.
    /// </summary>
    public static class GoPreprofileFormat
    {
        public const string Header = "GO PREPROFILE V1";

        public static byte[] Write(WeightedCallGraph graph)
        {
            if (!graph.HasStartLines)
            {
                throw new InvalidOperationException("Go rejects profiles without Function.start_line; a method-level graph has no Go preprofile form.");
            }

            var sb = new StringBuilder();
            sb.Append(Header).Append('\n');
            foreach (var e in graph.Edges)
            {
                sb.Append(e.Caller).Append('\n');
                sb.Append(e.Callee).Append('\n');
                sb.Append(e.Offset!.Value.ToString(CultureInfo.InvariantCulture)).Append(' ')
                  .Append(e.Weight.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            return new UTF8Encoding(false).GetBytes(sb.ToString());
        }

        public static void Write(WeightedCallGraph graph, Stream output)
        {
            var bytes = Write(graph);
            output.Write(bytes, 0, bytes.Length);
        }
    }
}
