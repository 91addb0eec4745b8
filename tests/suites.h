/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VNICEMU_TESTS_SUITES_H
#define VNICEMU_TESTS_SUITES_H

#include <check.h>

Suite *suite_parse(void);
Suite *suite_keys(void);
Suite *suite_digest(void);
Suite *suite_capture(void);
Suite *suite_pipeline(void);
Suite *suite_sg(void);
Suite *suite_tso(void);
Suite *suite_txcsum(void);
Suite *suite_rx(void);
Suite *suite_control(void);
Suite *suite_frame(void);
Suite *suite_registry(void);
Suite *suite_profile(void);
Suite *suite_verify(void);
Suite *suite_scenario(void);
Suite *suite_diff(void);
Suite *suite_ao(void);
Suite *suite_path(void);
Suite *suite_reasm(void);
Suite *suite_html(void);
Suite *suite_live(void);
Suite *suite_device(void);
Suite *suite_outfile(void);

#endif
