// Precompiled header shared by every mbrl target: the heavy, stable headers only.
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
