// Supplies std::ios_base_library_init(), the one GLIBCXX_3.4.32 symbol libLibTorchSharp.so needs,
// for hosts whose libstdc++ predates it. Newer libstdc++ uses that call to construct the standard
// streams; a static ios_base::Init does exactly that on older ones.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}
