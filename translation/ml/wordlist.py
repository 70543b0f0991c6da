"""English words for synthetic fingerspelling (written for slrweb; MIT like the code).

Everyday words, names and places of 2-12 letters, the kind of thing people fingerspell.
`slrweb train-translation --input-kind landmarks --words FILE` replaces this list.
"""

from __future__ import annotations

_WORDS = """
able about above accept across act add address adult afraid after again age agree air airport
alarm album alice all almost alone along already also always amazing amber among amy and andrew
angel anger angry animal anna answer any apartment apple april area arm army around arrive art
ask asl aunt austin autumn away baby back bacon bad bag bake baker ball banana band bank barn base
basket bath beach bear beard beat beautiful because become bed bee beef before begin behind believe
bell belt ben best better between bicycle big bike bill bird birthday black blanket blue boat body
bonnie book boots boring boss both bottle bowl box boy brain bread break breakfast bridge bright
bring brother brown brush build bus busy butter button buy cake calendar call camera camp can
candle candy car card care carl carrot carry case cash castle cat catch cause ceiling center chair
chalk chance change charles cheap check cheese chef cherry chess chicago chicken child chocolate
choose church circle city class clean clear clock close cloth cloud coat coffee coin cold college
color come computer cook cookie cool copy corn corner cost couch count country cousin cow crab
crazy cream cross crowd cry cup curious cut dad daisy dallas dance danger dark data date david
day dead deaf dear december decide deep deer denver desk dessert diana dinner dirty doctor dog
doll dollar door double down draw dream dress drink drive drop drum dry duck during dust each ear
early earth east easy eat egg eight elbow elephant eleven email emily empty end enjoy enough enter
equal eric error evening event every exam example excited exit expert eye face fact fair fall
family famous fan far farm fast father favorite february feel fence few field fifty fight film
final find fine finger finish fire first fish five fix flag flat floor flower fly fog follow food
foot forest forget fork four fox frank free friday friend frog front fruit full fun funny future
game garden gas gate george get ghost gift giraffe girl give glad glass glove goat gold golf good
grace grain grandma grape grass gray great green grow guess guitar hair half hall hammer hand happy
hard harry hat have head health hear heart heat heavy hello help henry here hide high hill history
hobby hold hole holiday home honey hope horse hospital hot hotel hour house how hug huge hungry
hurry husband ice idea inch inside internet iron island item jacket jam james jane january jar jazz
jeans jelly jenny job john join joke journey joy judge juice july jump june jungle just kate keep
kettle key kick kid kind king kitchen kite knee knife knock know lab lady lake lamp land language
large last late laugh law lazy leaf learn leave left lemon less lesson letter library lie life
light like lily lime line lion lip list listen little live lizard lock long look lose loud love
low luck lucy lunch machine mad magic mail main make man many map march mark market mary math may
meal mean meat medicine meet melon memory menu message metal mexico middle milk mind minute mirror
miss mom monday money monkey month moon more morning mother mountain mouse mouth move movie much
music name nancy narrow nature near neck need nest never new news next nice night nine noise noon
north nose note nothing november now number nurse oak ocean october office often oil old olive
once one onion only open orange order other oven owl own page paint pair pan paper parent paris
park party pass past paul peace peach pear pen pencil people pepper person peter phone photo piano
pick picture pie pig pillow pink pizza place plan plant plate play please pocket point police pool
poor post potato power practice present pretty price prize problem pumpkin puppy purple push queen
question quick quiet quilt rabbit race radio rain rainbow read ready real red remember rent rest
rice rich ride right ring river road robert rock roof room rose round rule run sad safe salad salt
same sand sandwich sarah saturday sauce save say school science scissors sea season seat second
see sell send september seven shape share sheep shelf shirt shoe shop short shoulder show shy sick
side sign silver simple sing sister sit six size skate skin skirt sky sleep slow small smile snack
snake snow soap sock sofa soft some son song soon sorry soup south space speak special spoon sport
spring square stairs star start station stay step stick still stone stop store storm story street
strong student study sugar summer sun sunday supper sure surprise sweet swim table tail take talk
tall taxi tea teach team teeth tell ten tennis test texas thank thing think three thursday ticket
tiger time tired today toe together tomato tomorrow tom tongue tool tooth top towel town toy train
travel tree trip truck true try tuesday turn turtle twelve twenty two uncle under until up use
vacation valley van vase vegetable very video village violin visit voice vote wait walk wall want
warm wash watch water wave weather wednesday week welcome well west wet whale what wheel when
where white why wife wild win wind window wine winter wish wolf woman wonder wood word work world
worry write wrong yard year yellow yes yesterday young zebra zero zoo
"""

WORDS: tuple[str, ...] = tuple(dict.fromkeys(_WORDS.split()))
