// fuzz_config.cpp: libFuzzer harness for the YAML configuration loader (load_config): the input is
// the config file. Refusals are fine and must say where; crashes and escaping exceptions are not.
#include <cstddef>
#include <cstdint>

#include "control/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    static fuzz::ScratchFile file(".yaml");
    const std::string& path = file.write(data, size);
    auto config = load_config(path);  // an exception escaping here aborts: a finding
    if (!config) {
        FUZZ_CHECK(config.error().message.rfind(path, 0) == 0);  // `file:line: ...` (invariant 7)
        return 0;
    }
    // What validation promises to everything downstream.
    FUZZ_CHECK(config->path == path);
    FUZZ_CHECK(config->burst > 0 && config->ring_size > 0 && (config->ring_size & (config->ring_size - 1)) == 0);
    return 0;
}
