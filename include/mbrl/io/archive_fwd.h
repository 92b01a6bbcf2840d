// Forward declarations of LibTorch's archive types, for headers that declare save/load without
// including the serialization headers (which pull in the JIT).
#pragma once

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize
