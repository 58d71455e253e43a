// fuzz_authorisation.cpp: libFuzzer harness for the authorisation file reader
// (load_authorisation_file): the input is one approval/consent YAML file. Refusals are fine and
// must say where; crashes and escaping exceptions are not.
#include <cstddef>
#include <cstdint>

#include "control/authorisation_file.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    static fuzz::ScratchFile file(".yaml");
    const std::string& path = file.write(data, size);
    auto a = load_authorisation_file(path);  // an exception escaping here aborts: a finding
    if (!a) {
        FUZZ_CHECK(a.error().message.rfind(path, 0) == 0);  // `file:line: ...` (invariant 7)
        return 0;
    }
    FUZZ_CHECK(!a->id.empty());
    FUZZ_CHECK(a->valid_from_ns < a->valid_until_ns);  // an empty or reversed window is refused
    if (a->kind == AuthKind::consent) FUZZ_CHECK(!a->operator_id.empty());
    return 0;
}
