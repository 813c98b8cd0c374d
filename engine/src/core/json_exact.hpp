// The exact JSON reader is public: tariff/json.hpp.
#pragma once

#include "tariff/json.hpp"
