/*
 * bcryptprimitives.dll for Wine 8: Go 1.24+ Windows binaries import ProcessPrng from
 * bcryptprimitives.dll at start-up, and Wine 8 does not ship that DLL, so every Go test
 * binary would die before main. This one-function stand-in forwards to RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has had for years.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng has no length limit; RtlGenRandom takes a ULONG, so feed it in chunks. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
