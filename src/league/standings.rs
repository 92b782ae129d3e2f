//! The tables `/show` and `/archived` render (osu-arena §2.3, §2.4, §10.1): a league's standings
//! ordered by gain, and the top of the seasonal and universal points, now or as a season ended;
//! the challenges in progress and those finished. Headers and titles come from the texts, so the
//! pictures speak the reader's language; the columns are the original's.

use super::leagues::League;
use super::player::{self, Player};
use super::rivalry;
use super::season::{Scored, Standing};
use crate::render::{Cell, Column, Format, Table};
use crate::store::{Read, StoreError};

/// How many players the points tables show.
pub const POINTS_ROWS: usize = 15;

/// A table `/show` can draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    League(League),
    /// This season's points.
    SeasonalPoints,
    /// Points across seasons.
    Points,
    /// The challenges in progress, with what each player has gained.
    Rivals,
}

impl Board {
    /// Every board, in autocomplete order.
    pub fn all() -> impl Iterator<Item = Board> {
        League::ALL.into_iter().map(Board::League).chain([
            Board::SeasonalPoints,
            Board::Points,
            Board::Rivals,
        ])
    }

    /// The value `/show` takes (`gold`, `points`, `t_points`).
    pub fn name(self) -> &'static str {
        match self {
            Board::League(league) => league.name(),
            Board::SeasonalPoints => "points",
            Board::Points => "t_points",
            Board::Rivals => "rivals",
        }
    }

    /// The board named `name` (any case; `s_points` is accepted for the seasonal points).
    pub fn parse(name: &str) -> Option<Board> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "s_points" => Some(Board::SeasonalPoints),
            _ => Board::all().find(|b| b.name() == name),
        }
    }

    /// The text key of its title.
    pub fn title_key(self) -> &'static str {
        match self {
            Board::League(league) => league.text_key(),
            Board::SeasonalPoints => "league.table.seasonal_points",
            Board::Points => "league.table.points",
            Board::Rivals => "league.table.rivals",
        }
    }
}

/// The table of `board`, with headers and title from `text` (a text key → its words); `None`
/// when there is nobody to show.
pub fn build(
    r: &impl Read,
    board: Board,
    text: &dyn Fn(&str) -> String,
) -> Result<Option<Table>, StoreError> {
    let player_column = || Column::text(text("league.column.player")).bold();
    let (columns, rows) = match board {
        Board::Rivals => {
            let rows = rivalry::accepted(r)?
                .into_iter()
                .map(|(_, c)| {
                    let pp = |user| player::get(r, user).map(|p| p.map(|p| p.pp));
                    Ok(vec![
                        c.challenger.osu_username.as_str().into(),
                        c.target.osu_username.as_str().into(),
                        c.challenger.gain(pp(c.challenger.discord_id)?).into(),
                        c.target.gain(pp(c.target.discord_id)?).into(),
                        c.pp.into(),
                    ])
                })
                .collect::<Result<Vec<Vec<Cell>>, StoreError>>()?;
            let columns = vec![
                Column::text(text("league.column.challenger")).bold(),
                Column::text(text("league.column.target")).bold(),
                Column::number(text("league.column.challenger_gain"), Format::Integer),
                Column::number(text("league.column.target_gain"), Format::Integer),
                Column::number(text("league.column.stake"), Format::Integer),
            ];
            (columns, rows)
        }
        Board::League(league) => {
            let mut players = player::members(r, league)?;
            players.sort_by(|a, b| {
                b.pp_change()
                    .cmp(&a.pp_change())
                    .then(a.osu_username.cmp(&b.osu_username))
            });
            let rows: Vec<Vec<Cell>> = players
                .iter()
                .map(|p| league_row(&Standing::of(p)))
                .collect();
            (league_columns(text), rows)
        }
        Board::SeasonalPoints | Board::Points => {
            let points = |p: &Player| match board {
                Board::SeasonalPoints => p.seasonal_points,
                _ => p.points,
            };
            let mut players = player::all(r)?;
            players.sort_by(|a, b| {
                points(b)
                    .cmp(&points(a))
                    .then(a.osu_username.cmp(&b.osu_username))
            });
            players.truncate(POINTS_ROWS);
            let columns = vec![
                player_column(),
                Column::number(text("league.column.current_pp"), Format::Integer),
                Column::number(text("league.column.points"), Format::Integer),
            ];
            let rows = players
                .iter()
                .map(|p| {
                    vec![
                        Cell::from(p.osu_username.as_str()),
                        p.pp.into(),
                        points(p).into(),
                    ]
                })
                .collect();
            (columns, rows)
        }
    };
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(Table {
        title: text(board.title_key()),
        columns,
        rows,
    }))
}

/// The columns of a league table (§10.1).
fn league_columns(text: &dyn Fn(&str) -> String) -> Vec<Column> {
    vec![
        Column::text(text("league.column.player")).bold(),
        Column::number(text("league.column.initial_pp"), Format::Integer),
        Column::number(text("league.column.current_pp"), Format::Integer),
        Column::number(text("league.column.pp_change"), Format::Integer).gain_loss(),
        Column::number(text("league.column.percentage_change"), Format::Percent(2)).gain_loss(),
        Column::number(text("league.column.ii"), Format::Fixed(2)),
    ]
}

fn league_row(s: &Standing) -> Vec<Cell> {
    vec![
        s.osu_username.as_str().into(),
        s.initial_pp.into(),
        s.current_pp.into(),
        s.pp_change().into(),
        s.percentage_change().into(),
        s.ii.into(),
    ]
}

/// The finished challenges, oldest first (`/archived` season 0, §10.1); `None` when there are
/// none.
pub fn finished_rivals(
    r: &impl Read,
    text: &dyn Fn(&str) -> String,
) -> Result<Option<Table>, StoreError> {
    let rows: Vec<Vec<Cell>> = rivalry::finished(r)?
        .into_iter()
        .map(|(_, c)| {
            let winner = if c.winner == Some(c.target.discord_id) {
                &c.target.osu_username
            } else {
                &c.challenger.osu_username
            };
            vec![
                c.challenger.osu_username.as_str().into(),
                c.target.osu_username.as_str().into(),
                winner.as_str().into(),
                c.pp.into(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(Table {
        title: text("league.table.rivals_finished"),
        columns: vec![
            Column::text(text("league.column.challenger")).bold(),
            Column::text(text("league.column.target")).bold(),
            Column::text(text("league.column.winner")).bold(),
            Column::number(text("league.column.stake"), Format::Integer),
        ],
        rows,
    }))
}

/// An archived league table, in its archived order (by gain); the caller titles it.
pub fn archived_league(rows: &[Standing], text: &dyn Fn(&str) -> String) -> Table {
    Table {
        title: String::new(),
        columns: league_columns(text),
        rows: rows.iter().map(league_row).collect(),
    }
}

/// The top of an archived season's points (§10.1: player and points); the caller titles it.
pub fn archived_points(rows: &[Scored], text: &dyn Fn(&str) -> String) -> Table {
    Table {
        title: String::new(),
        columns: vec![
            Column::text(text("league.column.player")).bold(),
            Column::number(text("league.column.points"), Format::Integer),
        ],
        rows: rows
            .iter()
            .take(POINTS_ROWS)
            .map(|s| vec![s.osu_username.as_str().into(), s.points.into()])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::league::player::{link, sample};
    use crate::store::Store;

    #[test]
    fn a_league_table_is_ordered_by_gain_and_others_leagues_stay_out() {
        let (_dir, store) = Store::temporary();
        let mut players = Vec::new();
        for (n, (initial, now)) in [(4000, 4010), (5000, 5200), (3000, 2990)]
            .into_iter()
            .enumerate()
        {
            let mut p = sample(n as u64 + 1, n as u64 + 100, initial, League::Gold);
            p.pp = now;
            players.push(p);
        }
        players.push(sample(9, 900, 9000, League::Elite));
        store
            .write(|w| {
                players.iter().try_for_each(|p| {
                    link(w, p, 0).map_err(|e| match e {
                        crate::league::player::LinkError::Store(e) => e,
                        other => panic!("{other}"),
                    })
                })
            })
            .unwrap();
        let text = |key: &str| key.rsplit('.').next().unwrap_or(key).to_string();
        let table = store
            .read(|r| build(r, Board::League(League::Gold), &text))
            .unwrap()
            .expect("three players");
        assert_eq!(table.title, "gold");
        let names: Vec<_> = table.rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            names,
            [Cell::from("osu101"), "osu100".into(), "osu102".into()]
        );
        assert_eq!(table.rows[0][3], Cell::Int(200));
        assert_eq!(table.rows[0][4], Cell::Number(4.0));
        assert_eq!(table.columns[0].header, "player");
        assert!(
            store
                .read(|r| build(r, Board::League(League::Master), &text))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn board_names_parse_and_garbage_does_not() {
        for board in Board::all() {
            assert_eq!(Board::parse(board.name()), Some(board));
        }
        assert_eq!(Board::parse("S_Points"), Some(Board::SeasonalPoints));
        assert_eq!(Board::parse(" GOLD "), Some(Board::League(League::Gold)));
        for garbage in ["", "ranker", "rivals!", "gold silver", "t-points"] {
            assert_eq!(Board::parse(garbage), None, "{garbage:?}");
        }
    }
}
