/* plant_ui — `meltcon plant`: the plant overview, every furnace on the [mqtt]
 * broker of this config (Sparkplug B group group_id), one row each, sorted
 * by attention (plant_model.h); Enter shows one furnace's every metric.
 * Read-only: the only message it ever publishes is the Sparkplug rebirth
 * request to a furnace whose birth it missed. */
#ifndef MELTCON_PLANT_UI_H
#define MELTCON_PLANT_UI_H

#include "cfg.h"

/* Run the overview until q.  Returns the exit status. */
int plant_run(const struct cfg *c);

#endif
