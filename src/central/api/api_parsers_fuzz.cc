// Every hand-written parser of the API on hostile input. The first byte picks the parser;
// the rest is its input. Each must return (OK or an error) without crashing, throwing or
// allocating without bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "central/api/body.h"
#include "central/api/codec.h"
#include "central/api/routes.h"
#include "central/api/template_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::central::api;
  if (size == 0) return 0;
  const uint8_t which = data[0] % 8;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (which) {
    case 0: {
      for (bool url : {false, true}) {
        auto b = Base64Decode(in, url);
        // What decodes must encode back to the same text (one encoding per byte string).
        if (b.ok() && Base64Encode(*b, url) != in) __builtin_trap();
      }
      break;
    }
    case 1: {
      auto q = ParseQuery(in);
      if (q.ok()) {
        (void)ParsePage(*q, "firms");
        (void)ParsePage(*q, "audit");
      }
      break;
    }
    case 2: {
      auto j = ParseJsonObject(in);
      if (j.ok()) {
        (void)FieldUint32(*j, "firm_code");
        (void)OptionalFieldString(*j, "ticket", 64);
        (void)OptionalFieldBool(*j, "transfer_allowed");
        (void)CheckKeys(*j, {"a", "b"}, "fuzz");
      }
      break;
    }
    case 3: {
      // "content-type\n body"
      size_t nl = in.find('\n');
      std::string_view ct = nl == std::string_view::npos ? in : in.substr(0, nl);
      std::string_view body = nl == std::string_view::npos ? "" : in.substr(nl + 1);
      auto parts = ParseMultipart(ct, body);
      if (parts.ok() && parts->size() > 8) __builtin_trap();
      (void)MediaType(ct);
      break;
    }
    case 4: {
      auto j = ParseJsonObject(in);
      if (j.ok()) (void)TemplateFromApiJson(*j, 201010);
      break;
    }
    case 5:
      (void)ParseOpenApiOperations(in);
      break;
    case 6: {
      auto m = MatchRoute("GET", in);
      (void)MatchRoute("POST", in);
      if (m.route != nullptr && m.log_path.empty()) __builtin_trap();
      break;
    }
    case 7:
      (void)ParseUint32(in);
      break;
  }
  return 0;
}
