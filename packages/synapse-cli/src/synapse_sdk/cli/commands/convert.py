"""``synapse convert``: convert a dataset between DM (v1/v2), YOLO, COCO and Pascal VOC.

Progress is drawn by the SDK's `ConsoleLogger` on stderr (a bar on a terminal, a line every 10 %
otherwise); the summary table of the conversion report goes to stdout (or one JSON object with --json).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from synapse_sdk.cli.errors import EXIT_INPUT, CliError, missing_dependency
from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import get_output

if TYPE_CHECKING:
    from synapse_sdk.utils.converters.result import ConversionResult

FORMATS = ('dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal', 'voc')


@click.command(cls=LocalizedCommand)
@click.argument('source_format', metavar='SOURCE_FORMAT', type=click.Choice(FORMATS, case_sensitive=False))
@click.argument('target_format', metavar='TARGET_FORMAT', type=click.Choice(FORMATS, case_sensitive=False))
@click.argument('root', type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument('out', type=click.Path(file_okay=False, path_type=Path))
@click.option('--categorized', is_flag=True, help='ROOT has train/valid[/test] split folders.')
@click.option(
    '--on-error',
    type=click.Choice(['fail', 'skip', 'collect']),
    default='fail',
    show_default=True,
    help='fail: stop at the first bad item; skip: leave bad annotations out and report them; '
    'collect: report every problem, write nothing.',
)
@click.option('--class-names', metavar='A,B,...', help='Fix the class order (ids follow this list).')
@click.option(
    '--image-mode',
    type=click.Choice(['copy', 'hardlink', 'symlink']),
    default='copy',
    show_default=True,
    help='How images reach OUT (symlink: OUT links to the images in ROOT and is read again with --link-root ROOT).',
)
@click.option(
    '--link-root',
    'link_roots',
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar='DIR',
    help='A directory outside ROOT that symbolic links in ROOT may lead into (repeatable; default: none, '
    'links out of ROOT are refused).',
)
@click.option(
    '--task',
    type=click.Choice(['auto', 'detect', 'segment', 'pose']),
    help='YOLO target: the task written (default auto). Every object is in it; see the conversion report.',
)
@click.option('--keypoint-names', metavar='A,B,...', help='YOLO/COCO target: the joint order of poses.')
@click.option(
    '--voc-convention',
    type=click.Choice(['devkit', 'legacy']),
    help='Pascal VOC source or target: box corners as the VOC devkit has them (devkit, the default: 1-based, '
    'last pixel included) or as the previous SDK wrote them (legacy: 0-based, xmax = x + w).',
)
@click.option(
    '--workers',
    type=int,
    help='Processes for the per-item work (default: one per idle core for large datasets; 1: no pool).',
)
@click.option('--overwrite', is_flag=True, help='Replace OUT if it exists and is not empty.')
@lang_option
@json_option
@debug_option
def convert(
    source_format: str,
    target_format: str,
    root: Path,
    out: Path,
    categorized: bool,
    on_error: str,
    class_names: str | None,
    image_mode: str,
    link_roots: tuple[Path, ...],
    task: str | None,
    keypoint_names: str | None,
    voc_convention: str | None,
    workers: int | None,
    overwrite: bool,
    language: str,
) -> None:
    """Convert the dataset in ROOT from SOURCE_FORMAT to TARGET_FORMAT, written atomically to OUT.

    \b
    Formats: dm_v1, dm_v2, yolo, coco, pascal (alias voc); any two of them.
    Examples:
      synapse convert dm_v2 yolo ./dm_dataset ./yolo_out --categorized --on-error skip
      synapse convert coco yolo ./coco ./yolo_out --task segment
      synapse convert pascal coco ./old_voc ./coco_out --voc-convention legacy
    """
    try:
        from synapse_sdk.utils.converters import get_converter
        from synapse_sdk.utils.converters.result import ConversionError
    except ImportError as exc:
        raise missing_dependency('synapse convert', 'synapse-converters', exc) from None
    from synapse_sdk.loggers import ConsoleLogger

    output = get_output()
    names = [n.strip() for n in class_names.split(',') if n.strip()] if class_names else None
    options: dict[str, Any] = {}
    if task is not None:
        options['task'] = task
    if keypoint_names:
        options['keypoint_names'] = [n.strip() for n in keypoint_names.split(',') if n.strip()]
    if link_roots:
        options['link_roots'] = list(link_roots)
    if voc_convention is not None:
        options['voc_convention'] = voc_convention
    if workers is not None:
        options['workers'] = workers
    progress = ConsoleLogger(stream=sys.stderr)
    try:
        converter = get_converter(
            source_format.lower(),
            target_format.lower(),
            root_dir=root,
            is_categorized=categorized,
            error_policy=on_error,
            class_names=names,
            image_mode=image_mode,
            overwrite=overwrite,
            ctx=progress,
            **options,
        )
        result = converter.save_to_folder(out)
    except ConversionError as exc:
        details = [_cli_names(str(p)) for p in exc.problems[:20]]
        if exc.total > len(details):
            details.append(t('cli.convert.more_problems', count=exc.total - len(details)))
        raise CliError(
            t('cli.convert.problems', count=exc.total, root=root),
            details=details,
            hint=t('cli.convert.problems_hint'),
            exit_code=EXIT_INPUT,
            kind='conversion_problems',
            data={'problems': [p.model_dump(mode='json') for p in exc.problems]},
        ) from None
    except FileExistsError as exc:
        raise CliError(str(exc).replace('overwrite=True', '--overwrite'), exit_code=EXIT_INPUT) from None
    except TypeError as exc:  # a format option the target does not take
        message = _cli_names(
            str(exc).replace('keypoint_names', '--keypoint-names').replace("'task'", '--task')
        )
        raise CliError(message, exit_code=EXIT_INPUT, kind='bad_conversion_request') from None
    except ValueError as exc:
        raise CliError(str(exc), exit_code=EXIT_INPUT, kind='bad_conversion_request') from None
    finally:
        progress.finish()

    if output.json_mode:
        output.emit_json({'ok': True, **result.model_dump(mode='json')})
        return
    total = result.items + result.items_skipped
    output.echo(
        t(
            'cli.convert.done',
            language,
            converted=result.items,
            total=total,
            source=result.source,
            target=result.target,
            out=result.output_dir or out,
        ),
        fg='green',
    )
    output.table(['', t('cli.convert.column.count')], _summary_rows(result))
    if result.report.problem_counts or result.report.loss_counts:
        problem, loss = t('cli.convert.row.problem'), t('cli.convert.row.loss')
        rows = [[problem, kind, count] for kind, count in sorted(result.report.problem_counts.items())]
        rows += [[loss, kind, count] for kind, count in sorted(result.report.loss_counts.items())]
        output.echo()
        output.table([t(f'cli.convert.column.{c}') for c in ('report', 'kind', 'count')], rows)
        if result.report.problems:
            output.echo()
            for item in result.report.problems[:10]:
                output.echo(f'  - {item}')
            if len(result.report.problems) > 10:
                output.echo(t('cli.convert.more_in_json', count=len(result.report.problems) - 10))


def _cli_names(text: str) -> str:
    """A converter message with the API's option names as this command's options."""
    text = text.replace("voc_convention='legacy'", '--voc-convention legacy').replace(
        'voc_convention', '--voc-convention'
    )
    return text.replace('link_roots=', '--link-root').replace("image_mode='symlink'", '--image-mode symlink')


def _summary_rows(result: ConversionResult) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [t('cli.convert.row.items_converted'), result.items],
        [t('cli.convert.row.items_skipped'), result.items_skipped],
    ]
    rows += [[t('cli.convert.row.split', name=name), count] for name, count in result.splits.items()]
    for kind in sorted(set(result.annotations_read) | set(result.annotations_written)):
        read = result.annotations_read.get(kind, 0)
        written = result.annotations_written.get(kind, 0)
        rows.append([t('cli.convert.row.read_written', kind=kind), f'{read} -> {written}'])
    rows += [
        [t('cli.convert.row.carried_as', kind=kind), count]
        for kind, count in sorted(result.report.representation_changes.items())
    ]
    rows += [
        [t('cli.convert.row.annotations_skipped'), result.annotations_skipped],
        [t('cli.convert.row.lossy'), result.lossy],
        [t('cli.convert.row.classes'), ', '.join(result.class_names) or '-'],
    ]
    return rows
