#pragma once
// The findings in English, the only place with words about them: each
// finding's paragraph in the reference's tone ("The access to the port
// 2967/tcp tended to increase in the early part of May..."), written from
// the finding, its evidence and its figures (FigureFinding), and the text of
// `scanscope findings`. A report in another language writes its own
// functions from the same figures.

#include <string>
#include <vector>

#include "analysis/findings.h"
#include "common/time_zone.h"

namespace scanscope {

// The finding's paragraph: one sentence or two per kind, the port's
// description (knowledge) when there is one.
std::string FindingParagraph(const Finding& finding, const Month& month,
                             const FindingKnowledge& knowledge, const FindingOptions& options = {});

// "No peculiar access was found in May 2009."
std::string NoFindingsSentence(const Month& month);

// `findings` without --json: the ranked findings with their paragraphs,
// top sources and points, then the coverage notices (the points blind on
// some of the month's days), when there are any.
std::string FindingsToText(const std::vector<Finding>& findings, const Month& month,
                           const std::string& zone,
                           const std::vector<CoverageNotice>& notices = {});

}  // namespace scanscope
