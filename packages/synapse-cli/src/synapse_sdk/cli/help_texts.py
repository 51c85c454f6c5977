"""Help pages in languages other than English, keyed by command path and option.

The English help is where click expects it (``help=`` and docstrings); this module holds the other
languages, read by `synapse_sdk.cli.localized` when ``--help`` is asked for in that language. Keys:
``'synapse plugin run'`` for a command, ``'synapse plugin run --params'`` for one of its options, and
``'* --json'`` for an option that means the same on every command. A test walks every command and
option and requires a text here for each, so a new option cannot ship without its translation.
Paragraphs and ``\\b`` (keep the lines as they are) follow click's help syntax.
"""

from __future__ import annotations

__all__ = ['HELP', 'help_text', 'short_help']

_LANG = '메시지 언어 (기본값: $SYNAPSE_LANGUAGE, 없으면 en).'

HELP: dict[str, dict[str, str]] = {
    'ko': {
        # Options that mean the same on every command.
        '* --help': '이 도움말을 보여 주고 끝냅니다.',
        '* --lang': _LANG,
        '* --json': 'stdout에 결과를 JSON 객체 하나로 출력합니다 (사람이 읽는 글은 stderr로).',
        '* --debug': '실패하면 전체 트레이스백을 보여 줍니다.',
        '* --path': 'config.yaml이 있는 플러그인 디렉터리 (기본값: 현재 디렉터리).',
        '* --plugin': '@action 함수나 BaseAction 클래스가 있는, import할 수 있는 파이썬 모듈.',
        # synapse
        'synapse': (
            'Synapse SDK 명령줄 도구: Synapse 플랫폼의 플러그인을 만들고, 실행하고, 게시합니다.\n\n'
            '현재 디렉터리에 있는 플러그인의 액션 실행:\n\n'
            '    synapse plugin run train --params \'{"epochs": 10}\'\n\n'
            '셸 자동 완성 (bash): eval "$(_SYNAPSE_COMPLETE=bash_source synapse)"'
        ),
        'synapse --version': '설치된 synapse 배포판과 버전을 보여 줍니다.',
        'synapse --debug': '실패의 트레이스백을 보여 줍니다.',
        # synapse config
        'synapse config': '저장된 설정을 살펴봅니다.',
        'synapse config show': (
            '실제로 쓰이는 호스트, 토큰(가림), 테넌트와 각 값의 출처를 보여 줍니다.\n\n'
            '환경 변수가 ~/.synapse/config.json보다 우선하며, 출처 열이 어느 쪽이 쓰였는지 알려 줍니다.'
        ),
        # synapse convert
        'synapse convert': (
            'ROOT의 데이터셋을 SOURCE_FORMAT에서 TARGET_FORMAT으로 변환해 OUT에 원자적으로 씁니다.\n\n'
            '\b\n'
            '형식: dm_v1, dm_v2, yolo, coco, pascal (별칭 voc). 어느 둘 사이든 됩니다.\n'
            '예:\n'
            '  synapse convert dm_v2 yolo ./dm_dataset ./yolo_out --categorized --on-error skip\n'
            '  synapse convert coco yolo ./coco ./yolo_out --task segment\n'
            '  synapse convert pascal coco ./old_voc ./coco_out --voc-convention legacy'
        ),
        'synapse convert --task': (
            'YOLO 대상: 쓸 작업 (기본값 auto). 모든 객체가 들어가며, 변환 보고서를 보세요.'
        ),
        'synapse convert --keypoint-names': 'YOLO/COCO 대상: 포즈의 관절 순서.',
        'synapse convert --voc-convention': (
            'Pascal VOC 원본 또는 대상: 상자 모서리 규칙. devkit(기본값)은 VOC devkit처럼 1부터 세고 마지막 픽셀을 '
            '포함하며, legacy는 이전 SDK가 쓴 대로 0부터 세고 xmax = x + w입니다.'
        ),
        'synapse convert --workers': (
            '항목별 작업에 쓸 프로세스 수 (기본값: 큰 데이터셋이면 쉬는 코어마다 하나; 1: 풀 없음).'
        ),
        'synapse convert --categorized': 'ROOT에 train/valid[/test] 분할 폴더가 있습니다.',
        'synapse convert --on-error': (
            'fail: 첫 잘못된 항목에서 멈춤; skip: 잘못된 어노테이션을 빼고 보고; collect: 모든 문제를 보고하고 '
            '아무것도 쓰지 않음.'
        ),
        'synapse convert --class-names': '클래스 순서를 고정합니다 (id가 이 목록을 따름).',
        'synapse convert --image-mode': (
            '이미지를 OUT에 두는 방법 (symlink: OUT이 ROOT의 이미지를 가리키는 링크가 되며, 다시 읽을 때는 '
            '--link-root ROOT가 필요합니다).'
        ),
        'synapse convert --link-root': (
            'ROOT 안의 심볼릭 링크가 가리켜도 되는 ROOT 밖의 디렉터리 (여러 번 줄 수 있음; 기본값: 없음, '
            'ROOT 밖으로 나가는 링크는 거부).'
        ),
        'synapse convert --overwrite': 'OUT이 있고 비어 있지 않으면 바꿉니다.',
        # synapse doctor
        'synapse doctor': (
            '각 배포판의 설치, 자격 증명, 백엔드 연결과 Ray를 검사합니다.\n\n'
            '검사마다 통과, 경고(선택 구성 요소 없음), 건너뜀, 실패 중 하나이며, 마지막 줄에 종류별 개수가 '
            '나옵니다. 실패한 검사가 있으면(필수 구성 요소 없음, 설정 파일 손상, 백엔드가 토큰을 거부하거나 '
            '연결할 수 없음) 1로, 아니면 0으로 끝납니다.'
        ),
        'synapse doctor --offline': '백엔드에 연결하는 검사를 건너뜁니다.',
        'synapse doctor --timeout': '백엔드를 기다릴 시간(초).',
        # synapse login
        'synapse login': (
            '백엔드 액세스 토큰(화면에 표시하지 않고 읽음)을 확인하고 ~/.synapse/config.json(모드 0600)에 '
            '저장합니다.\n\n'
            '터미널에서는 숨김 입력으로 토큰을 묻습니다. 터미널이 없으면 --token-stdin으로 파이프로 넘기세요. '
            '올 수 없는 입력을 기다리지 않습니다. 백엔드가 토큰을 받아들이거나 --no-verify를 지정하지 않으면 '
            '아무것도 저장하지 않습니다.'
        ),
        'synapse login --host': '백엔드 URL (기본값: 저장된 호스트, 없으면 https://api.synapse.sh).',
        'synapse login --tenant': '모든 요청에 보낼 테넌트 코드.',
        'synapse login --token-stdin': (
            '표준 입력에서 토큰을 읽습니다 (스크립트용: echo "$TOKEN" | synapse login --token-stdin).'
        ),
        'synapse login --no-verify': '백엔드에 확인하지 않고 토큰을 저장합니다 (예: 아직 백엔드에 연결할 수 없을 때).',
        # synapse plugin
        'synapse plugin': (
            '플러그인을 만들고, 실행하고, 검증하고, 게시합니다.\n\n'
            '--path를 받는 명령은 기본으로 현재 디렉터리를 쓰며, 그곳에 플러그인의 config.yaml이 있어야 '
            '합니다: 플러그인 폴더에서 실행하세요.'
        ),
        'synapse plugin create': (
            'PATH/<code>/에 새 플러그인(config.yaml, 액션 패키지, 샘플, 테스트, ignore 파일)을 만듭니다.\n\n'
            '\b\n'
            '예:\n'
            '  synapse plugin create                                   # 터미널에서 물어봄\n'
            '  synapse plugin create --name "YOLO Trainer" --category neural_net --yes'
        ),
        'synapse plugin create --name': '사람이 읽는 플러그인 이름 (예: "YOLO Trainer").',
        'synapse plugin create --code': '플러그인 코드: 영문 소문자, 숫자, -, _ (기본값: 이름에서 만듦).',
        'synapse plugin create --category': '플러그인 카테고리 (기본값: custom).',
        'synapse plugin create --description': '한 줄 설명.',
        'synapse plugin create --path': '플러그인 폴더 <code>/를 만들 디렉터리.',
        'synapse plugin create --yes': '주어지지 않은 모든 값에 기본값을 쓰고, 묻지 않습니다.',
        'synapse plugin job': '플러그인 작업을 살펴봅니다.',
        'synapse plugin job logs': (
            'JOB_ID의 로그를 출력합니다 (--follow를 주면 작업이 끝날 때까지 계속 받음).\n\n'
            '\b\n'
            '예:\n'
            '  synapse plugin job logs 5f0c...            # 백엔드 작업\n'
            '  synapse plugin job logs raysubmit_abc --ray-address http://127.0.0.1:8265 --follow'
        ),
        'synapse plugin job logs --follow': '작업이 끝날 때까지 새 줄을 계속 받습니다.',
        'synapse plugin job logs --source': (
            'auto: --ray-address가 있으면 Ray, SYNAPSE_AGENT_URL/SYNAPSE_AGENT_TOKEN이 설정되어 있으면 '
            '에이전트, 아니면 백엔드.'
        ),
        'synapse plugin job logs --ray-address': '--mode job으로 시작한 작업의 Ray 대시보드.',
        'synapse plugin job logs --timeout': '에이전트: 한 줄을 기다리는 최대 시간.',
        'synapse plugin list': (
            '현재 디렉터리(또는 --path DIR / --plugin MODULE) 플러그인의 액션을 나열합니다.\n\n'
            'config.yaml만 읽으며 액션 코드는 import하지 않습니다 (그것은 `synapse plugin validate`가 합니다).'
        ),
        'synapse plugin publish': (
            '플러그인을 압축해 백엔드에 플러그인 릴리스로 업로드합니다.\n\n'
            '.gitignore와 .synapseignore에 걸리는 파일(과 캐시, 가상 환경, VCS 폴더)은 빠집니다. 먼저 '
            '플러그인을 검증하며, 문제가 있는 플러그인은 게시하지 않습니다.'
        ),
        'synapse plugin publish --dry-run': '업로드할 것을 보여 주기만 합니다: 아무것도 업로드하거나 바꾸지 않습니다.',
        'synapse plugin publish --debug-release': '릴리스를 디버그 빌드로 표시합니다.',
        'synapse plugin publish --yes': '터미널에서 확인을 묻지 않습니다.',
        'synapse plugin run': (
            '현재 디렉터리(또는 --path DIR / --plugin MODULE) 플러그인의 ACTION을 실행합니다.\n\n'
            '\b\n'
            '예:\n'
            '  synapse plugin run train --params \'{"epochs": 10}\'\n'
            '  synapse plugin run train -l ko --params @params.json\n'
            '  synapse plugin run greet --path examples/hello_plugin --params \'{"name": "Ada"}\' --json\n'
            '  synapse plugin run export --params @samples/params/export.json --fake-backend\n\n'
            '로그와 진행 상황은 stderr로(터미널에서는 진행 막대, 아니면 일반 줄), 결과는 stdout으로 '
            '나갑니다. --json을 주면 stdout에는 JSON 객체 하나만 나옵니다.'
        ),
        'synapse plugin run --params': '액션 파라미터: JSON 객체, 또는 파일에서 읽으려면 @file.json.',
        'synapse plugin run --mode': 'local: 이 프로세스; task: Ray 액터; job: Ray 작업 (작업 id를 돌려줌).',
        'synapse plugin run --ray-address': (
            '--mode task용 Ray 클러스터 (예: ray://host:10001) 또는 --mode job용 Ray 대시보드 '
            '(예: http://host:8265).'
        ),
        'synapse plugin run --fake-backend': (
            'SDK의 가짜 백엔드(synapse-testing)를 루프백 포트에 띄우고 플러그인의 samples/backend.json으로 '
            '채운 뒤 그것을 상대로 실행합니다. --mode local에서만 됩니다.'
        ),
        'synapse plugin run --seed': (
            '--fake-backend의 샘플 데이터: {"table": [rows]} 형식의 JSON (기본값: samples/backend.json).'
        ),
        'synapse plugin run --strict-params': (
            '알 수 없는 파라미터 키를 경고가 아닌 오류로 처리합니다 (SYNAPSE_STRICT_PARAMS=1 과 같음).'
        ),
        'synapse plugin validate': (
            '플러그인을 검사합니다: config.yaml, 진입점, 파라미터 모델과 UI 스키마.\n\n'
            '\b\n'
            '모든 액션을 검사하고, (첫 문제만이 아니라) 모든 문제를 보고합니다:\n'
            '  - config.yaml이 파싱되고 스키마에 맞는지 (모르는 키도 문제로 셈),\n'
            '  - 진입점이 import되고 액션인지,\n'
            '  - 파라미터와 결과 모델이 JSON 스키마를 만드는지,\n'
            '  - 파라미터의 UI 스키마가 만들어지는지.'
        ),
    },
}


def help_text(language: str, command: str, option: str | None = None) -> str | None:
    """The help of `command` (or of its `option`) in `language`; None when there is none."""
    texts = HELP.get(language)
    if texts is None:
        return None
    if option is None:
        return texts.get(command)
    return texts.get(f'{command} {option}', texts.get(f'* {option}'))


def short_help(language: str, command: str) -> str | None:
    """The one-line help of `command` in a group's command list: the first line of its help."""
    text = help_text(language, command)
    return text.split('\n', 1)[0].strip() if text else None
