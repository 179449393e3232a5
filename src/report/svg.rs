//! The HTML report's charts as inline SVG, drawn with the same auto-escaping templates as the
//! rest of the page ([`maud`]): numbers are computed here, and every text (a category's name,
//! a tooltip) goes through the page's escaper, so nothing a catalog or a log holds can end the
//! `<svg>` element or become markup.
//!
//! Colour is never the only cue: every bar has its category's name beside it or in its legend,
//! and a `<title>` (the tooltip) saying what it is. Bars carry `data-category` and `data-hits`
//! (and, in the timeline, `data-start`), so tests, and the page's filter, read them without
//! parsing text.

use maud::{html, Markup};

use super::html::Text;

/// One colour per category, by the category's index in the catalog (so a category keeps its
/// colour from one report to the next). Mid-tone hues that read on a light and a dark
/// background alike (Tableau 10 and two more); past twelve categories they repeat, and the
/// labels still tell them apart.
const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#8c8c8c", "#17becf", "#bcbd22",
];

/// The colour of the category at `index` in the catalog.
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A category as the charts show it.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    /// Its index in the catalog (the colour).
    pub index: usize,
    /// Its machine name (`database`): the `data-category` value and the label.
    pub id: &'a str,
    /// Its English name, shown beside the label.
    pub name: &'a str,
}

/// Width of the drawing in SVG units; the page scales it to the screen.
const WIDTH: f64 = 720.0;

/// Room on the left of a bar chart for the category labels.
const LABEL_WIDTH: f64 = 220.0;

/// Room on the right of a bar for its number.
const NUMBER_WIDTH: f64 = 90.0;

/// Height of one bar and the gap below it (the page's filter moves rows up by their sum).
const BAR_HEIGHT: f64 = 22.0;
const BAR_GAP: f64 = 8.0;

/// `x` with at most two decimals, as SVG attributes want it (no exponent, no long tails).
fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Hits per category as horizontal bars, longest first as given: each row has the category's
/// name, a bar as long as its share of the largest, and the count.
pub fn category_bars(bars: &[(Series<'_>, u64)]) -> Markup {
    let max = bars.iter().map(|(_, hits)| *hits).max().unwrap_or(0).max(1);
    let plot = WIDTH - LABEL_WIDTH - NUMBER_WIDTH;
    let height = bars.len() as f64 * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
    html! {
        svg.chart.bars xmlns="http://www.w3.org/2000/svg" role="img"
            viewBox={ "0 0 " (num(WIDTH)) " " (num(height)) }
            preserveAspectRatio="xMinYMin meet"
            data-row=(num(BAR_HEIGHT + BAR_GAP)) data-gap=(num(BAR_GAP))
            aria-labelledby="bars-title" {
            title #bars-title { "Hits per category" }
            @for (row, (series, hits)) in bars.iter().enumerate() {
                @let y = BAR_GAP + row as f64 * (BAR_HEIGHT + BAR_GAP);
                @let length = (*hits as f64 / max as f64 * plot).max(1.0);
                g.series.f data-category=(Text(series.id)) {
                    text.label x=(num(LABEL_WIDTH - 8.0)) y=(num(y + BAR_HEIGHT * 0.7))
                        text-anchor="end" {
                        (Text(series.id)) tspan.name { " · " (Text(series.name)) }
                    }
                    rect.bar x=(num(LABEL_WIDTH)) y=(num(y)) width=(num(length))
                        height=(num(BAR_HEIGHT)) fill=(colour(series.index))
                        data-category=(Text(series.id)) data-hits=(hits) {
                        title { (Text(series.id)) ": " (super::group(*hits)) " hits" }
                    }
                    text.number x=(num(LABEL_WIDTH + length + 6.0)) y=(num(y + BAR_HEIGHT * 0.7)) {
                        (super::group(*hits))
                    }
                }
            }
        }
    }
}

/// The timeline's axes and buckets, as [`timeline`] draws them.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Every bucket from the first with hits to the last: its start (Unix seconds) and its
    /// hits, indexed by category index.
    pub buckets: Vec<(i64, Vec<u64>)>,
    /// The buckets' width in seconds.
    pub width: i64,
    /// Whether the times are the log's wall clock (zone unknown), shown as if UTC.
    pub local: bool,
}

/// Height of the timeline's plot area, and the room below it for the time labels and on the
/// left for the counts.
const PLOT_HEIGHT: f64 = 180.0;
const AXIS_HEIGHT: f64 = 36.0;
const AXIS_WIDTH: f64 = 64.0;

/// Room between the left axis and the first bar, so the bar does not look like part of it.
const AXIS_GAP: f64 = 6.0;

/// A step of the timeline wide enough to centre a time label under its bar.
const WIDE_STEP: f64 = 150.0;

/// The widest a timeline bar gets: with a few buckets, wider bars would be blocks that read as
/// areas, not counts.
const MAX_BAR: f64 = 40.0;

/// One category's part of one bucket of the timeline.
struct Segment<'a> {
    series: &'a Series<'a>,
    hits: u64,
    x: f64,
    y: f64,
    height: f64,
}

/// `seconds` (Unix) as people read it at this bucket width: a date for days and more, minutes
/// for minutes and more, else seconds.
pub fn time_label(seconds: i64, width: i64) -> String {
    let Ok(time) = jiff::Timestamp::from_second(seconds) else {
        return seconds.to_string();
    };
    let format = if width >= 86_400 {
        "%Y-%m-%d"
    } else if width >= 60 {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    time.strftime(format).to_string()
}

/// A bucket width for people: `1 min`, `15 min`, `6 h`, `1 d`, `45 s`.
pub fn width_label(width: i64) -> String {
    match width {
        w if w > 0 && w % 86_400 == 0 => format!("{} d", w / 86_400),
        w if w > 0 && w % 3_600 == 0 => format!("{} h", w / 3_600),
        w if w > 0 && w % 60 == 0 => format!("{} min", w / 60),
        w => format!("{w} s"),
    }
}

/// Hits per time bucket, stacked by category (in the order of `series`, the first at the
/// bottom): one `rect` per bucket and category with hits, with the bucket's start and the
/// count as data attributes and a tooltip. The left axis gives the largest bucket's total; the
/// bottom axis the first, middle and last bucket's times.
pub fn timeline(grid: &Grid, series: &[Series<'_>]) -> Markup {
    let n = grid.buckets.len().max(1);
    let left = AXIS_WIDTH + AXIS_GAP;
    let plot_width = WIDTH - left - 8.0;
    let step = plot_width / n as f64;
    // A hair of space between bars, unless they are too thin to spare it; never wider than
    // MAX_BAR, centred in its step.
    let bar = if step > 4.0 { step - 1.0 } else { step }.min(MAX_BAR);
    let inset = (step - bar) / 2.0;
    let max = grid
        .buckets
        .iter()
        .map(|(_, counts)| counts.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = PLOT_HEIGHT / max as f64;
    let zone = if grid.local { " (log time)" } else { " UTC" };
    let ticks: Vec<usize> = {
        let mut t = vec![0, n / 2, n - 1];
        t.dedup();
        t
    };
    // Each bucket's segments, bottom up in the order of `series`.
    let stacks: Vec<(i64, u64, Vec<Segment<'_>>)> = grid
        .buckets
        .iter()
        .enumerate()
        .map(|(i, (start, counts))| {
            let x = left + i as f64 * step + inset;
            let mut below = 0u64;
            let mut segments = Vec::new();
            for s in series {
                let hits = counts.get(s.index).copied().unwrap_or(0);
                if hits == 0 {
                    continue;
                }
                below += hits;
                segments.push(Segment {
                    series: s,
                    hits,
                    x,
                    y: PLOT_HEIGHT + 8.0 - below as f64 * scale,
                    // A bucket of one hit under a tall one still shows.
                    height: (hits as f64 * scale).max(0.5),
                });
            }
            (*start, below, segments)
        })
        .collect();
    html! {
        svg.chart.timeline xmlns="http://www.w3.org/2000/svg" role="img"
            viewBox={ "0 0 " (num(WIDTH)) " " (num(PLOT_HEIGHT + AXIS_HEIGHT + 8.0)) }
            preserveAspectRatio="xMinYMin meet"
            aria-labelledby="timeline-title" data-width=(grid.width) data-local=(grid.local)
            data-bottom=(num(PLOT_HEIGHT + 8.0)) data-plot=(num(PLOT_HEIGHT)) {
            title #timeline-title {
                "Hits per " (width_label(grid.width)) ", stacked by category"
            }
            line.axis x1=(num(AXIS_WIDTH)) y1="8" x2=(num(AXIS_WIDTH))
                y2=(num(PLOT_HEIGHT + 8.0)) {}
            line.axis x1=(num(AXIS_WIDTH)) y1=(num(PLOT_HEIGHT + 8.0)) x2=(num(WIDTH))
                y2=(num(PLOT_HEIGHT + 8.0)) {}
            text.tick.max x=(num(AXIS_WIDTH - 6.0)) y="16" text-anchor="end" { (super::group(max)) }
            text.tick x=(num(AXIS_WIDTH - 6.0)) y=(num(PLOT_HEIGHT + 8.0)) text-anchor="end" { "0" }
            @for (start, total, segments) in &stacks {
                g.bucket data-start=(start) data-hits=(total) {
                    @for segment in segments {
                        rect.segment.f x=(num(segment.x)) y=(num(segment.y)) width=(num(bar))
                            height=(num(segment.height)) fill=(colour(segment.series.index))
                            data-category=(Text(segment.series.id)) data-hits=(segment.hits)
                            data-start=(start) {
                            title {
                                (time_label(*start, grid.width)) (zone) ", "
                                (width_label(grid.width)) ": " (Text(segment.series.id)) " "
                                (super::group(segment.hits))
                            }
                        }
                    }
                }
            }
            @for &i in &ticks {
                @if let Some((start, _)) = grid.buckets.get(i) {
                    @let x = left + (i as f64 + 0.5) * step;
                    // Under its bar when the steps are wide enough for a label, else kept inside
                    // the drawing at both ends.
                    @let anchor = if step >= WIDE_STEP { "middle" } else if i == 0 && n > 1 { "start" } else if i == n - 1 && n > 1 { "end" } else { "middle" };
                    @let x = if anchor == "start" { left } else if anchor == "end" { WIDTH } else { x };
                    @let label = time_label(*start, grid.width);
                    text.tick x=(num(x)) y=(num(PLOT_HEIGHT + 28.0)) text-anchor=(anchor) {
                        // The date apart, so a narrow screen can leave it to the caption.
                        @match label.split_once(' ') {
                            Some((date, time)) => { tspan.date { (date) " " } (time) },
                            None => (label),
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_plain() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(0.5), "0.5");
    }

    #[test]
    fn widths_and_times_read_as_people_write_them() {
        assert_eq!(width_label(60), "1 min");
        assert_eq!(width_label(900), "15 min");
        assert_eq!(width_label(21_600), "6 h");
        assert_eq!(width_label(86_400 * 7), "7 d");
        assert_eq!(width_label(30), "30 s");
        assert_eq!(time_label(1_715_810_280, 60), "2024-05-15 21:58");
        assert_eq!(time_label(1_715_810_329, 1), "2024-05-15 21:58:49");
        assert_eq!(time_label(1_715_731_200, 86_400), "2024-05-15");
    }

    #[test]
    fn hostile_category_names_stay_text() {
        let series = [Series {
            index: 0,
            id: "</svg><script>alert(1)</script>",
            name: "\u{202e}x",
        }];
        let svg = category_bars(&[(series[0].clone(), 3)]).into_string();
        assert!(!svg.contains("<script"), "{svg}");
        assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
        assert!(!svg.contains('\u{202e}'), "{svg}");
        let grid = Grid {
            buckets: vec![(60, vec![2]), (120, vec![0]), (180, vec![1])],
            width: 60,
            local: false,
        };
        let svg = timeline(&grid, &series).into_string();
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
    }

    /// The `x` and `width` of every timeline segment.
    fn segments(svg: &str) -> Vec<(f64, f64)> {
        let attr = |rect: &str, name: &str| -> f64 {
            let from = rect.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            let value = &rect[from..];
            value[..value.find('"').expect("quote")]
                .parse()
                .expect("a number")
        };
        svg.split("<rect")
            .skip(1)
            .map(|rect| (attr(rect, "x"), attr(rect, "width")))
            .collect()
    }

    #[test]
    fn timeline_bars_leave_the_axis_and_few_buckets_are_not_blocks() {
        let series = [Series {
            index: 0,
            id: "database",
            name: "Database",
        }];
        // Three one-second buckets: each a bar, not a third of the chart.
        let grid = Grid {
            buckets: vec![(60, vec![2]), (61, vec![5]), (62, vec![1])],
            width: 1,
            local: false,
        };
        let bars = segments(&timeline(&grid, &series).into_string());
        assert_eq!(bars.len(), 3);
        for &(x, width) in &bars {
            assert!(width <= MAX_BAR, "{bars:?}");
            assert!(x >= AXIS_WIDTH + 4.0, "a gap after the axis: {bars:?}");
        }
        // Many buckets: thin bars, the first still clear of the axis.
        let grid = Grid {
            buckets: (0..120).map(|i| (i * 60, vec![i as u64 % 7 + 1])).collect(),
            width: 60,
            local: false,
        };
        let bars = segments(&timeline(&grid, &series).into_string());
        let first = bars.iter().map(|b| b.0).fold(f64::MAX, f64::min);
        assert!(first >= AXIS_WIDTH + 4.0, "{first}");
        assert!(bars.iter().all(|&(x, w)| x + w <= WIDTH), "{bars:?}");
    }
}
