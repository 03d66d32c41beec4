/* A tiny Python C extension module for `licet protect lib`: imported with dlopen by the
   interpreter, its code and tables are encrypted until its DT_INIT decrypts them. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define R(n) n, n + 3, n + 5, n + 7, n + 11, n + 13, n + 17, n + 19
#define R64(n) R(n), R(n + 8), R(n + 16), R(n + 24), R(n + 32), R(n + 40), R(n + 48), R(n + 56)
#define R512(n) R64(n), R64(n + 64), R64(n + 128), R64(n + 192), R64(n + 256), R64(n + 320), R64(n + 384), R64(n + 448)
static const long kTable[] = {R512(0), R512(512), R512(1024), R512(1536)};

static PyObject* checksum(PyObject* self, PyObject* args) {
  long n;
  (void)self;
  if (!PyArg_ParseTuple(args, "l", &n)) return NULL;
  long acc = 0;
  for (long i = 0; i < n; ++i) acc = (acc * 31 + kTable[i % (long)(sizeof(kTable) / sizeof(kTable[0]))]) % 1000000007L;
  return PyLong_FromLong(acc);
}

static PyMethodDef kMethods[] = {
    {"checksum", checksum, METH_VARARGS, "a checksum over a read-only table"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "licetpyext", NULL, -1, kMethods,
                                     NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_licetpyext(void) { return PyModule_Create(&kModule); }
