/* version — the one version string of meltcon and meltsim (`--version`,
 * the man pages' footer).  Change it here and nowhere else. */
#ifndef MELTCON_VERSION_H
#define MELTCON_VERSION_H

#define MELTCON_VERSION "0.10.0"

#endif
