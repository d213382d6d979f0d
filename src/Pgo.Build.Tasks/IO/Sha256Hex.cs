using System.Security.Cryptography;
using System.Text;

namespace Pgo.Build.IO
{
    /// <summary>Lower-case hexadecimal SHA-256, the content identity of profiles and cache entries.</summary>
    public static class Sha256Hex
    {
        public static string Of(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return ToHex(sha.ComputeHash(bytes));
        }

        public static string Of(string text) => Of(new UTF8Encoding(false).GetBytes(text));

        public static string ToHex(byte[] hash)
        {
            var sb = new StringBuilder(hash.Length * 2);
            foreach (byte b in hash)
            {
                sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }
    }
}
