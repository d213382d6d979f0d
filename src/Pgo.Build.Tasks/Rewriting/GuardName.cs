using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Mono.Cecil;
using Pgo.Build.IO;

namespace Pgo.Build.Rewriting
{
    /// <summary>
    /// A guard's name says which call it guards and for which targets:
    /// <c>Invoke@&lt;IL offset&gt;@&lt;hash of the calling method&gt;@&lt;target&gt;@...</c>. A recording of a guarded build has
    /// no delegate histogram at a guarded call any more (the call became a direct call and most calls take the fast
    /// path), but it names the guards it ran: the next build reads their targets back from the names and guards the
    /// same call again (Go's iterative stability: profiling the PGO build gives the same build).
    /// </summary>
    internal static class GuardName
    {
        private const string Prefix = "Invoke@";

        public static string Of(PlannedSite site, IEnumerable<MethodDefinition> targets) =>
            Prefix + site.Call.Offset.ToString("x4", CultureInfo.InvariantCulture) + "@" + SiteHash(site.Method) + "@"
            + string.Join("@", targets.Select(DelegateNames.Method).Distinct(StringComparer.Ordinal));

        /// <summary>A stable short identity of the calling method (its full signature), equal across builds of the same code.</summary>
        public static string SiteHash(MethodDefinition method) => Sha256Hex.Of(method.FullName).Substring(0, 8);

        /// <summary>
        /// The guarded call and targets a recorded method's system name (<c>App!Ns.Host+&lt;PgoDelegateGuards&gt;::Invoke@...(...)</c>)
        /// or a recorded guard call's handle (<c>Invoke@...|@|Ns.Host+&lt;PgoDelegateGuards&gt;, App</c>, written by
        /// <c>pgo record</c> for every guard call of a recorded method) names; null for anything else.
        /// </summary>
        public static (int IlOffset, string SiteHash, IReadOnlyList<string> Targets)? Parse(string text)
        {
            string marker = Metadata.IlFingerprint.DelegateGuardTypeName + "::" + Prefix;
            int start = text.IndexOf(marker, StringComparison.Ordinal);
            if (start >= 0)
            {
                start += marker.Length;
            }
            else if (text.StartsWith(Prefix, StringComparison.Ordinal) && text.Contains("|@|") && text.Contains(Metadata.IlFingerprint.DelegateGuardTypeName))
            {
                start = Prefix.Length;
            }
            else
            {
                return null;
            }

            int end = text.Length;
            foreach (string stop in new[] { "(", "``", "|@|" })
            {
                int at = text.IndexOf(stop, start, StringComparison.Ordinal);
                if (at >= 0 && at < end)
                {
                    end = at;
                }
            }

            var parts = text.Substring(start, end - start).Split('@');
            if (parts.Length < 3 || !int.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int offset) || parts[1].Length != 8)
            {
                return null;
            }

            return (offset, parts[1], parts.Skip(2).Where(t => t.Length > 0).ToList());
        }
    }
}
