#if NETFRAMEWORK
namespace System.Runtime.CompilerServices
{
    /// <summary>Lets records and init accessors compile for net472.</summary>
    internal static class IsExternalInit { }
}
#endif
