//! Charts drawn as SVG by hand, so that they look the same on a page, in print and in a
//! briefing: one value a month, as a line with dots (a share) or as bars (a count), with
//! reference lines such as the benchmark bands. Every chart carries its own title and a
//! sentence saying every value, for screen readers and for people who cannot see it.

use askama::Template;
use rapport_core::CloseBand;

/// How a chart draws its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A line through a dot for each month, the value a share (shown as a percentage).
    Shares,
    /// A bar for each month, the value a count.
    Counts,
}

/// A line across the chart at a value, with its name.
#[derive(Clone, Debug)]
pub struct Reference {
    pub value: f64,
    pub label: String,
}

/// A chart of one value a month.
#[derive(Clone, Debug)]
pub struct MonthlyChart {
    /// Unique on its page, for the title's and the description's ids.
    pub id: String,
    pub title: String,
    pub shape: Shape,
    /// Short month names and their values; none where there was nothing to count.
    pub months: Vec<(String, Option<f64>)>,
    pub references: Vec<Reference>,
}

/// "Nov" for "2026-11" (a month as `YYYY-MM`, or a date in it).
pub(crate) fn short_month(month: &str) -> String {
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let number: usize = month.get(5..7).and_then(|number| number.parse().ok()).unwrap_or(1);
    names.get(number.saturating_sub(1)).copied().unwrap_or_default().to_owned()
}

/// The public benchmark's three lines for a chart of close rates.
pub(crate) fn benchmark_bands() -> Vec<Reference> {
    [(CloseBand::LOW, "low"), (CloseBand::MEDIAN, "median"), (CloseBand::HIGH, "high")]
        .iter()
        .map(|(value, label)| Reference { value: *value, label: (*label).to_owned() })
        .collect()
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 120.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

struct Mark {
    x: String,
    y: String,
    label: String,
}

struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
}

#[derive(Template)]
#[template(path = "chart.svg", escape = "html")]
struct Drawn {
    id: String,
    title: String,
    description: String,
    width: f64,
    height: f64,
    left: f64,
    right_edge: f64,
    baseline: String,
    references: Vec<Mark>,
    axis: Vec<Mark>,
    months: Vec<Mark>,
    dots: Vec<Mark>,
    bars: Vec<Bar>,
    line: String,
}

fn at(value: f64) -> String {
    format!("{value:.1}")
}

impl MonthlyChart {
    fn value_words(&self, value: f64) -> String {
        let percent = value * 100.0;
        match self.shape {
            // 6.6% stays 6.6%, and 20% is not 20.0%.
            Shape::Shares if (percent - percent.round()).abs() >= 0.05 => format!("{percent:.1}%"),
            Shape::Shares => format!("{percent:.0}%"),
            Shape::Counts => format!("{value:.0}"),
        }
    }

    /// Every value in a sentence: the chart's text alternative.
    pub fn description(&self) -> String {
        let values: Vec<String> = self
            .months
            .iter()
            .map(|(month, value)| match value {
                Some(value) => format!("{month} {}", self.value_words(*value)),
                None => format!("{month} nothing to count"),
            })
            .collect();
        format!("{}: {}.", self.title, values.join(", "))
    }

    /// The chart as an SVG element, to put in a page as it is.
    pub fn svg(&self) -> Result<String, askama::Error> {
        let plot_width = WIDTH - LEFT - RIGHT;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let highest = self
            .months
            .iter()
            .filter_map(|(_, value)| *value)
            .chain(self.references.iter().map(|reference| reference.value))
            .fold(0.0_f64, f64::max);
        let top = if highest > 0.0 { highest * 1.1 } else { 1.0 };
        let y = |value: f64| TOP + plot_height * (1.0 - value / top);
        let step = plot_width / self.months.len().max(1) as f64;
        let x = |index: usize| LEFT + step * (index as f64 + 0.5);
        let months = self
            .months
            .iter()
            .enumerate()
            .map(|(index, (month, _))| Mark { x: at(x(index)), y: at(HEIGHT - 8.0), label: month.clone() })
            .collect();
        let references = self
            .references
            .iter()
            .map(|reference| Mark {
                x: at(WIDTH - RIGHT + 6.0),
                y: at(y(reference.value)),
                label: format!("{} {}", self.value_words(reference.value), reference.label),
            })
            .collect();
        let axis = [0.0, top / 1.1]
            .iter()
            .map(|value| Mark { x: at(LEFT - 6.0), y: at(y(*value)), label: self.value_words(*value) })
            .collect();
        let known: Vec<(usize, f64)> = self
            .months
            .iter()
            .enumerate()
            .filter_map(|(index, (_, value))| Some((index, (*value)?)))
            .collect();
        let (dots, bars, line) = match self.shape {
            Shape::Shares => (
                known
                    .iter()
                    .map(|(index, value)| Mark {
                        x: at(x(*index)),
                        y: at(y(*value)),
                        label: self.value_words(*value),
                    })
                    .collect(),
                Vec::new(),
                known
                    .iter()
                    .map(|(index, value)| format!("{},{}", at(x(*index)), at(y(*value))))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Shape::Counts => (
                Vec::new(),
                known
                    .iter()
                    .map(|(index, value)| Bar {
                        x: at(x(*index) - step * 0.3),
                        y: at(y(*value)),
                        width: at(step * 0.6),
                        height: at(y(0.0) - y(*value)),
                    })
                    .collect(),
                String::new(),
            ),
        };
        Drawn {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description(),
            width: WIDTH,
            height: HEIGHT,
            left: LEFT,
            right_edge: WIDTH - RIGHT,
            baseline: at(y(0.0)),
            references,
            axis,
            months,
            dots,
            bars,
            line,
        }
        .render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(shape: Shape) -> MonthlyChart {
        MonthlyChart {
            id: "web-close".to_owned(),
            title: "Open work closed each month <Web>".to_owned(),
            shape,
            months: vec![
                ("Oct".to_owned(), None),
                ("Nov".to_owned(), Some(0.1)),
                ("Dec".to_owned(), Some(0.2)),
            ],
            references: vec![Reference { value: 0.152, label: "median".to_owned() }],
        }
    }

    #[test]
    fn a_chart_says_every_value_in_words_and_escapes_its_names() {
        let svg = chart(Shape::Shares).svg().unwrap();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(
            svg.contains("<title id=\"web-close-title\">Open work closed each month &#60;Web&#62;</title>"),
            "{svg}"
        );
        assert!(
            svg.contains(
                "Open work closed each month &#60;Web&#62;: Oct nothing to count, Nov 10%, Dec 20%."
            ),
            "{svg}"
        );
        assert!(svg.contains("15.2% median"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 2, "a dot for each month with a value: {svg}");
        let bars = chart(Shape::Counts).svg().unwrap();
        assert_eq!(bars.matches("<rect").count(), 2, "{bars}");
    }

    #[test]
    fn higher_values_are_drawn_higher() {
        let svg = chart(Shape::Shares).svg().unwrap();
        let heights: Vec<f64> = svg
            .split("<circle ")
            .skip(1)
            .map(|dot| dot.split("cy=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect();
        assert!(heights[0] > heights[1], "SVG's y grows downwards: {heights:?}");
    }
}
