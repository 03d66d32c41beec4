# Fails the build when the linked stub has writable data or absolute relocations: the blob
# is mapped read-only and at an address chosen by the loader, so it must need neither.
execute_process(COMMAND ${READELF} -W -S -r ${STUB_ELF} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${STUB_ELF}")
endif()
# The stub is compiled without debug info, so every relocation listed is one of the code
# (--emit-relocs keeps them) or a dynamic one: only PC-relative kinds are allowed.
if(out MATCHES "R_X86_64_(64|32|32S|RELATIVE|GLOB_DAT|JUMP_SLOT|IRELATIVE|GOTPCREL[A-Z]*|GOT64|TPOFF[0-9]*) ")
  message(FATAL_ERROR "the stub has absolute, GOT or dynamic relocations:\n${out}")
endif()
if(out MATCHES " \\.data +PROGBITS +[0-9a-f]+ [0-9a-f]+ 0*[1-9a-f]")
  message(FATAL_ERROR "the stub has writable data (globals): not allowed\n${out}")
endif()
file(READ ${STUB_BIN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR size "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," arr "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" arr "${arr}")
file(WRITE ${OUT} "// Generated from the linked decryptor by check_stub.cmake. Do not edit.\n"
  "#include \"protect/stub/stub_blob.h\"\n\nnamespace licet::protect::stub {\nnamespace {\n"
  "alignas(16) const unsigned char kBlob[${size}] = {\n${arr}};\n}  // namespace\n\n"
  "ByteSpan StubBlob() { return ByteSpan(kBlob, sizeof(kBlob)); }\n\n}  // namespace licet::protect::stub\n")
