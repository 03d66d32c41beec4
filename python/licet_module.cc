// The Python module `licet`: pybind11 bindings of include/licet/licet.hpp (which wraps the C
// ABI, so Python, C++ and C share one ABI surface). Stubs with the documentation of every
// name: python/licet.pyi.
//
// The GIL is released around every call into liblicet (they wait on licetd). A License may
// be used from several Python threads: a shared lock covers calls on the handle and an
// exclusive one its release, so release() never frees a handle another thread is using.
#include <Python.h>
#include <pybind11/eval.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "licet/licet.hpp"

namespace py = pybind11;

namespace {

// The Python source of the exception classes: plain Python, so that they pickle, print and
// subclass like any Python exception.
constexpr const char* kExceptionsSource = R"PY(
class LicetError(Exception):
    """A Licet call failed.

    ``code`` is the LICET_ERROR_* number (the same in C, C++, the licetd protocol and
    HTTP APIs) and ``message`` the one-line explanation, which says what to do.
    Subclasses exist for the codes an application commonly handles.
    """

    def __init__(self, code, message=""):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self):
        text = _strerror(self.code)
        if self.message:
            return f"{self.message} [{text}, code {self.code}]"
        return f"{text} [code {self.code}]"


class InvalidArgumentError(LicetError, ValueError):
    """An argument is out of range (code 1)."""


class DecryptFailedError(LicetError):
    """The GCM tag does not match: another key, iv or tampered data (code 6)."""


class NotFoundError(LicetError):
    """No such product item, container, firm item or handle (codes 10, 200, 201, 202)."""


class AccessDeniedError(LicetError):
    """licetd's access rules refuse this caller (codes 11, 231)."""


class UnavailableError(LicetError):
    """licetd is not running or not reachable, or the connection to it was lost (code 15)."""


class UntrustedSignerError(LicetError):
    """The firm item does not carry the pinned firm key (code 17)."""


class UnitCounterZeroError(LicetError):
    """Not enough units left on the unit counter (code 32)."""


class FeatureMissingError(LicetError):
    """A requested feature bit is not licensed (code 33)."""


class ExpiredError(LicetError):
    """The license expired (code 35)."""


class NotYetActiveError(LicetError):
    """The license's activation time has not come yet (code 37)."""


class ClockSetBackError(LicetError):
    """The system clock was set back behind the container's certified time (code 38)."""


class UsagePeriodOverError(LicetError):
    """The usage period that started at the first access is over (code 39)."""


class MaintenanceOverError(LicetError):
    """This release is newer than the license's maintenance period (code 40)."""


class NoMoreLicensesError(LicetError):
    """Every seat of the license is taken (code 212)."""


class ExclusiveConflictError(LicetError):
    """Another handle holds the license exclusively, or exclusive access was refused
    because another handle holds it (code 213)."""


class WrongAccessModeError(LicetError):
    """The license does not allow this access mode (code 223)."""


class ProtocolError(LicetError):
    """licetd and liblicet do not understand each other (code 102)."""


_ERROR_CLASSES = {
    1: InvalidArgumentError,
    6: DecryptFailedError,
    10: NotFoundError, 200: NotFoundError, 201: NotFoundError, 202: NotFoundError,
    11: AccessDeniedError, 231: AccessDeniedError,
    15: UnavailableError,
    17: UntrustedSignerError,
    32: UnitCounterZeroError,
    33: FeatureMissingError,
    35: ExpiredError,
    37: NotYetActiveError,
    38: ClockSetBackError,
    39: UsagePeriodOverError,
    40: MaintenanceOverError,
    102: ProtocolError,
    212: NoMoreLicensesError,
    213: ExclusiveConflictError,
    223: WrongAccessModeError,
}


def _error(code, message):
    return _ERROR_CLASSES.get(code, LicetError)(code, message)
)PY";

// licet._error, kept for the life of the process (never destroyed: no Python at exit).
py::object* g_make_error = nullptr;

[[noreturn]] void Raise(const licet::Error& error) {
  py::object exception = (*g_make_error)(error.code, error.message);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
  throw py::error_already_set();
}

[[noreturn]] void RaiseInvalid(const std::string& message) {
  Raise(licet::Error{LICET_ERROR_INVALID_ARGUMENT, message});
}

template <typename T>
T Check(licet::Result<T> result) {
  if (!result.ok()) Raise(result.error());
  return std::move(result).value();
}

void Check(const licet::Result<void>& result) {
  if (!result.ok()) Raise(result.error());
}

// The bytes of a bytes-like object (bytes, bytearray, memoryview, array...).
std::vector<uint8_t> BytesOf(py::handle object, const char* name) {
  if (PyUnicode_Check(object.ptr())) {
    throw py::type_error(std::string(name) + " must be bytes-like, not str (encode the text first)");
  }
  Py_buffer view;
  if (PyObject_GetBuffer(object.ptr(), &view, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + " must be a bytes-like object, not " +
                         std::string(py::str(py::type::handle_of(object).attr("__name__"))));
  }
  const auto* data = static_cast<const uint8_t*>(view.buf);
  std::vector<uint8_t> bytes(data, data + view.len);
  PyBuffer_Release(&view);
  return bytes;
}

template <size_t N>
std::array<uint8_t, N> FixedBytes(py::handle object, const char* name) {
  std::vector<uint8_t> bytes = BytesOf(object, name);
  if (bytes.size() != N) {
    RaiseInvalid(std::string(name) + " must be " + std::to_string(N) + " bytes, not " + std::to_string(bytes.size()));
  }
  std::array<uint8_t, N> out;
  std::memcpy(out.data(), bytes.data(), N);
  return out;
}

py::bytes ToPy(const uint8_t* data, size_t size) {
  return py::bytes(reinterpret_cast<const char*>(data), size);
}

int ParseMode(const py::object& mode) {
  if (py::isinstance<py::str>(mode)) {
    std::string m = mode.cast<std::string>();
    if (m == "user-limit") return LICET_MODE_USER_LIMIT;
    if (m == "station-share") return LICET_MODE_STATION_SHARE;
    if (m == "exclusive") return LICET_MODE_EXCLUSIVE;
    if (m == "no-user-limit") return LICET_MODE_NO_USER_LIMIT;
    RaiseInvalid("mode '" + m + "' is not one of user-limit, station-share, exclusive, no-user-limit");
  }
  if (py::isinstance<py::int_>(mode)) return mode.cast<int>();
  throw py::type_error("mode must be a str such as 'user-limit' or a licet.MODE_* int");
}

int ParseWhere(const py::object& where) {
  if (py::isinstance<py::str>(where)) {
    std::string w = where.cast<std::string>();
    if (w == "local") return LICET_WHERE_LOCAL;
    if (w == "lan") return LICET_WHERE_LAN;
    if (w == "local-lan") return LICET_WHERE_LOCAL_LAN;
    if (w == "lan-local") return LICET_WHERE_LAN_LOCAL;
    RaiseInvalid("where '" + w + "' is not one of local, lan, local-lan, lan-local");
  }
  if (py::isinstance<py::int_>(where)) return where.cast<int>();
  throw py::type_error("where must be a str such as 'local' or a licet.WHERE_* int");
}

// None, a Unix time, a datetime (its timestamp()) or a date (midnight UTC).
int64_t ParseReleaseDate(const py::object& value) {
  if (value.is_none()) return 0;
  if (py::isinstance<py::bool_>(value)) throw py::type_error("release_date must be an int, datetime or date");
  if (py::isinstance<py::int_>(value)) return value.cast<int64_t>();
  py::module_ datetime = py::module_::import("datetime");
  if (py::isinstance(value, datetime.attr("datetime"))) {
    return static_cast<int64_t>(value.attr("timestamp")().cast<double>());
  }
  if (py::isinstance(value, datetime.attr("date"))) {
    return py::module_::import("calendar").attr("timegm")(value.attr("timetuple")()).cast<int64_t>();
  }
  throw py::type_error("release_date must be None, a Unix time (int), a datetime or a date");
}

// None, 32 bytes, or 64 hex digits.
std::optional<licet::FirmKey> ParseFirmKey(const py::object& value) {
  if (value.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(value)) {
    py::object raw;
    try {
      raw = py::module_::import("builtins").attr("bytes").attr("fromhex")(value);
    } catch (const py::error_already_set&) {
      RaiseInvalid("firm_key text must be 64 hex digits");
    }
    return FixedBytes<32>(raw, "firm_key");
  }
  return FixedBytes<32>(value, "firm_key");
}

// The result of License.encrypt: unpacks as (ciphertext, iv, tag).
struct Encrypted {
  py::bytes ciphertext;
  py::bytes iv;
  py::bytes tag;
};

// A License with the locking the GIL-free calls need (see the file comment).
class PyLicense {
 public:
  PyLicense(licet::License license, uint32_t firm_code, uint32_t product_code)
      : license_(std::move(license)), firm_code_(firm_code), product_code_(product_code) {}

  // Runs f(license) without the GIL, under the shared lock.
  template <typename F>
  auto WithLicense(F&& f) {
    py::gil_scoped_release nogil;
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (!license_.valid()) {
      return decltype(f(license_))(licet::Error{LICET_ERROR_INVALID_ARGUMENT,
                                                "this License was released; call licet.access() again"});
    }
    return f(license_);
  }

  void Release() {
    licet::Result<void> result;
    {
      py::gil_scoped_release nogil;
      std::unique_lock<std::shared_mutex> lock(mu_);
      result = license_.Release();
    }
    Check(result);
  }

  bool released() {
    std::shared_lock<std::shared_mutex> lock(mu_);
    return !license_.valid();
  }
  uint32_t firm_code() const { return firm_code_; }
  uint32_t product_code() const { return product_code_; }

 private:
  std::shared_mutex mu_;
  licet::License license_;  // guarded by mu_
  const uint32_t firm_code_;
  const uint32_t product_code_;
};

std::unique_ptr<PyLicense> Access(uint32_t firm_code, uint32_t product_code, uint32_t feature_code,
                                  const py::object& mode, const py::object& where,
                                  const py::object& release_date, std::optional<std::string> serial,
                                  const py::object& firm_key, std::optional<std::string> server) {
  licet::AccessParams params;
  params.firm_code = firm_code;
  params.product_code = product_code;
  params.feature_code = feature_code;
  params.mode = ParseMode(mode);
  params.where = ParseWhere(where);
  params.release_date = ParseReleaseDate(release_date);
  params.serial = std::move(serial);
  params.server = std::move(server);
  params.firm_public_key = ParseFirmKey(firm_key);
  licet::Result<licet::License> license = [&] {
    py::gil_scoped_release nogil;
    return licet::License::Access(params);
  }();
  return std::make_unique<PyLicense>(Check(std::move(license)), firm_code, product_code);
}

licet::CryptOptions Options(uint32_t encryption_code, uint32_t feature_code) {
  return licet::CryptOptions{encryption_code, feature_code};
}

Encrypted Encrypt(PyLicense& self, const py::object& data, uint32_t encryption_code, uint32_t feature_code,
                  const py::object& iv_object) {
  std::vector<uint8_t> buffer = BytesOf(data, "data");
  py::object iv_bytes = iv_object.is_none() ? py::module_::import("os").attr("urandom")(12) : iv_object;
  licet::Iv iv = FixedBytes<12>(iv_bytes, "iv");
  licet::Tag tag = Check(self.WithLicense([&](licet::License& l) {
    return l.Encrypt(buffer, iv, Options(encryption_code, feature_code));
  }));
  return Encrypted{ToPy(buffer.data(), buffer.size()), ToPy(iv.data(), iv.size()), ToPy(tag.data(), tag.size())};
}

py::bytes Decrypt(PyLicense& self, const py::object& ciphertext, const py::object& iv_object,
                  const py::object& tag_object, uint32_t encryption_code, uint32_t feature_code) {
  std::vector<uint8_t> buffer = BytesOf(ciphertext, "ciphertext");
  licet::Iv iv = FixedBytes<12>(iv_object, "iv");
  licet::Tag tag = FixedBytes<16>(tag_object, "tag");
  Check(self.WithLicense([&](licet::License& l) {
    return l.Decrypt(buffer, iv, tag, Options(encryption_code, feature_code));
  }));
  return ToPy(buffer.data(), buffer.size());
}

py::bytes CryptDirect(PyLicense& self, const py::object& data, const py::object& iv_object,
                      uint32_t encryption_code, uint32_t feature_code) {
  std::vector<uint8_t> buffer = BytesOf(data, "data");
  licet::Iv iv = FixedBytes<12>(iv_object, "iv");
  Check(self.WithLicense([&](licet::License& l) {
    return l.CryptDirect(buffer, iv, Options(encryption_code, feature_code));
  }));
  return ToPy(buffer.data(), buffer.size());
}

py::dict InfoDict(const licet::ItemInfo& i) {
  py::dict d;
  d["serial"] = i.serial;
  d["firm_code"] = i.firm_code;
  d["product_code"] = i.product_code;
  d["feature_map"] = i.feature_map;
  d["unit_counter"] = py::cast(i.unit_counter);
  d["expiration"] = py::cast(i.expiration);
  d["activation_time"] = py::cast(i.activation_time);
  d["usage_period"] = py::cast(i.usage_period);
  d["usage_started"] = py::cast(i.usage_started);
  d["maintenance_until"] = py::cast(i.maintenance_until);
  d["license_quantity"] = i.license_quantity;
  d["access_modes"] = i.access_modes;
  d["text"] = i.text;
  d["protected_data"] = ToPy(i.protected_data.data(), i.protected_data.size());
  return d;
}

}  // namespace

PYBIND11_MODULE(licet, m) {
  m.doc() =
      "Licet: license access for protected software, through the local licetd.\n\n"
      "    with licet.access(firm_code=6000010, product_code=201010) as lic:\n"
      "        ciphertext, iv, tag = lic.encrypt(b'secret')\n"
      "        assert lic.decrypt(ciphertext, iv, tag) == b'secret'\n";
  m.attr("__version__") = licet::Version();

  m.def("_strerror", [](int code) { return std::string(licet::StrError(code)); });
  py::exec(kExceptionsSource, m.attr("__dict__"));
  g_make_error = new py::object(m.attr("_error"));

  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, int>>{
           {"ERROR_INVALID_ARGUMENT", LICET_ERROR_INVALID_ARGUMENT},
           {"ERROR_IO", LICET_ERROR_IO},
           {"ERROR_CORRUPT_DATA", LICET_ERROR_CORRUPT_DATA},
           {"ERROR_UNSUPPORTED_VERSION", LICET_ERROR_UNSUPPORTED_VERSION},
           {"ERROR_DECRYPT_FAILED", LICET_ERROR_DECRYPT_FAILED},
           {"ERROR_NOT_FOUND", LICET_ERROR_NOT_FOUND},
           {"ERROR_PERMISSION_DENIED", LICET_ERROR_PERMISSION_DENIED},
           {"ERROR_INTERNAL", LICET_ERROR_INTERNAL},
           {"ERROR_UNAVAILABLE", LICET_ERROR_UNAVAILABLE},
           {"ERROR_UNTRUSTED_SIGNER", LICET_ERROR_UNTRUSTED_SIGNER},
           {"ERROR_UNIT_COUNTER_ZERO", LICET_ERROR_UNIT_COUNTER_ZERO},
           {"ERROR_FEATURE_MISSING", LICET_ERROR_FEATURE_MISSING},
           {"ERROR_EXPIRED", LICET_ERROR_EXPIRED},
           {"ERROR_NOT_YET_ACTIVE", LICET_ERROR_NOT_YET_ACTIVE},
           {"ERROR_CLOCK_SET_BACK", LICET_ERROR_CLOCK_SET_BACK},
           {"ERROR_USAGE_PERIOD_OVER", LICET_ERROR_USAGE_PERIOD_OVER},
           {"ERROR_MAINTENANCE_OVER", LICET_ERROR_MAINTENANCE_OVER},
           {"ERROR_CHECKPOINT_OVERDUE", LICET_ERROR_CHECKPOINT_OVERDUE},
           {"ERROR_PROTOCOL", LICET_ERROR_PROTOCOL},
           {"ERROR_ENTRY_NOT_FOUND", LICET_ERROR_ENTRY_NOT_FOUND},
           {"ERROR_CONTAINER_NOT_FOUND", LICET_ERROR_CONTAINER_NOT_FOUND},
           {"ERROR_FIRM_NOT_FOUND", LICET_ERROR_FIRM_NOT_FOUND},
           {"ERROR_NO_MORE_LICENSES", LICET_ERROR_NO_MORE_LICENSES},
           {"ERROR_EXCLUSIVE_CONFLICT", LICET_ERROR_EXCLUSIVE_CONFLICT},
           {"ERROR_WRONG_ACCESS_MODE", LICET_ERROR_WRONG_ACCESS_MODE},
           {"ERROR_ACCESS_DENIED", LICET_ERROR_ACCESS_DENIED},
           {"ERROR_BORROW_NOT_ALLOWED", LICET_ERROR_BORROW_NOT_ALLOWED},
           {"ERROR_BORROW_TOO_LONG", LICET_ERROR_BORROW_TOO_LONG},
           {"MODE_USER_LIMIT", LICET_MODE_USER_LIMIT},
           {"MODE_STATION_SHARE", LICET_MODE_STATION_SHARE},
           {"MODE_EXCLUSIVE", LICET_MODE_EXCLUSIVE},
           {"MODE_NO_USER_LIMIT", LICET_MODE_NO_USER_LIMIT},
           {"WHERE_LOCAL", LICET_WHERE_LOCAL},
           {"WHERE_LAN", LICET_WHERE_LAN},
           {"WHERE_LOCAL_LAN", LICET_WHERE_LOCAL_LAN},
           {"WHERE_LAN_LOCAL", LICET_WHERE_LAN_LOCAL},
       }) {
    m.attr(name) = value;
  }
  m.attr("CRYPT_MAX_LEN") = static_cast<size_t>(LICET_CRYPT_MAX_LEN);

  py::class_<Encrypted>(m, "Encrypted", "The result of License.encrypt; unpacks as (ciphertext, iv, tag).")
      .def_readonly("ciphertext", &Encrypted::ciphertext)
      .def_readonly("iv", &Encrypted::iv)
      .def_readonly("tag", &Encrypted::tag)
      .def("__iter__", [](const Encrypted& e) { return py::iter(py::make_tuple(e.ciphertext, e.iv, e.tag)); })
      .def("__len__", [](const Encrypted&) { return 3; })
      .def("__repr__", [](const Encrypted& e) {
        return "Encrypted(ciphertext=" + std::string(py::repr(e.ciphertext)) + ", iv=" +
               std::string(py::repr(e.iv)) + ", tag=" + std::string(py::repr(e.tag)) + ")";
      });

  py::class_<licet::ItemInfo>(m, "ItemInfo", "The product item behind a License (License.info).")
      .def_readonly("serial", &licet::ItemInfo::serial)
      .def_readonly("firm_code", &licet::ItemInfo::firm_code)
      .def_readonly("product_code", &licet::ItemInfo::product_code)
      .def_readonly("feature_map", &licet::ItemInfo::feature_map)
      .def_readonly("unit_counter", &licet::ItemInfo::unit_counter)
      .def_readonly("expiration", &licet::ItemInfo::expiration)
      .def_readonly("activation_time", &licet::ItemInfo::activation_time)
      .def_readonly("usage_period", &licet::ItemInfo::usage_period)
      .def_readonly("usage_started", &licet::ItemInfo::usage_started)
      .def_readonly("maintenance_until", &licet::ItemInfo::maintenance_until)
      .def_readonly("license_quantity", &licet::ItemInfo::license_quantity)
      .def_readonly("access_modes", &licet::ItemInfo::access_modes)
      .def_readonly("text", &licet::ItemInfo::text)
      .def_property_readonly("protected_data", [](const licet::ItemInfo& i) {
        return ToPy(i.protected_data.data(), i.protected_data.size());
      })
      .def("as_dict", &InfoDict, "The fields as a dict.")
      .def("__repr__", [](const licet::ItemInfo& i) {
        return "ItemInfo(" + std::string(py::str(InfoDict(i))) + ")";
      });

  py::class_<PyLicense>(m, "License",
                        "A granted access to a product item (a lease in licetd). Released by release(), "
                        "at the end of a with block, or when garbage-collected.")
      .def("__enter__", [](PyLicense& self) -> PyLicense& { return self; }, py::return_value_policy::reference)
      .def("__exit__", [](PyLicense& self, const py::object&, const py::object&, const py::object&) {
        self.Release();
        return false;
      })
      .def("release", &PyLicense::Release, "Releases the lease. Calling it again does nothing.")
      .def_property_readonly("released", &PyLicense::released)
      .def_property_readonly("firm_code", &PyLicense::firm_code)
      .def_property_readonly("product_code", &PyLicense::product_code)
      .def_property_readonly("info", [](PyLicense& self) {
        return Check(self.WithLicense([](licet::License& l) { return l.Info(); }));
      }, "The product item's properties (asks licetd each time).")
      .def("decrement_units", [](PyLicense& self, uint64_t n) {
        return Check(self.WithLicense([n](licet::License& l) { return l.DecrementUnits(n); }));
      }, py::arg("n") = 1, "Takes n units atomically; returns the units left.")
      .def("encrypt", &Encrypt, py::arg("data"), py::kw_only(), py::arg("encryption_code") = 0,
           py::arg("feature_code") = 0, py::arg("iv") = py::none(),
           "AES-256-GCM with the license's key; a random iv unless one is given.")
      .def("decrypt", &Decrypt, py::arg("ciphertext"), py::arg("iv"), py::arg("tag"), py::kw_only(),
           py::arg("encryption_code") = 0, py::arg("feature_code") = 0,
           "AES-256-GCM decryption; DecryptFailedError when the tag does not match.")
      .def("decrypt", [](PyLicense& self, const Encrypted& e, uint32_t encryption_code, uint32_t feature_code) {
        return Decrypt(self, e.ciphertext, e.iv, e.tag, encryption_code, feature_code);
      }, py::arg("encrypted"), py::kw_only(), py::arg("encryption_code") = 0, py::arg("feature_code") = 0)
      .def("crypt_direct", &CryptDirect, py::arg("data"), py::arg("iv"), py::kw_only(),
           py::arg("encryption_code") = 0, py::arg("feature_code") = 0,
           "AES-256-CTR from iv: the same call encrypts and decrypts; no integrity.")
      .def("__repr__", [](PyLicense& self) {
        return "<licet.License " + std::to_string(self.firm_code()) + ":" + std::to_string(self.product_code()) +
               (self.released() ? " released>" : ">");
      });

  m.def("access", &Access, py::arg("firm_code"), py::arg("product_code"), py::arg("feature_code") = 0,
        py::kw_only(), py::arg("mode") = "user-limit", py::arg("where") = "local",
        py::arg("release_date") = py::none(), py::arg("serial") = py::none(), py::arg("firm_key") = py::none(),
        py::arg("server") = py::none(),
        "Accesses a product item through licetd and returns the License (a context manager).");

  m.def("list", [] {
    std::string text = Check([] {
      py::gil_scoped_release nogil;
      return licet::List();
    }());
    return py::module_::import("json").attr("loads")(text);
  }, "The containers of this machine and their items (as `licet list --json`).");

  m.def("strerror", [](int code) { return std::string(licet::StrError(code)); },
        py::arg("code"), "Static English text of an error code.");
  m.def("version", [] { return std::string(licet::Version()); }, "liblicet's version.");
}
