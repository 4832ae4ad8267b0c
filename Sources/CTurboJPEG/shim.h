// libjpeg-turbo's TurboJPEG API (2.1) from Debian's libturbojpeg0-dev: errors come back as return codes and
// tjGetErrorStr2 (libjpeg's setjmp error handling stays inside the library, never in Swift).
#include <turbojpeg.h>
