// mrkit/comm: messages of any size in pieces of at most 1 GiB, the byte codec, integer reductions.
// Every public header of the layer; see docs/architecture.md for what each layer may use.
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/comm/message_codec.hpp"
#include "mrkit/comm/reduce.hpp"
